"""Typer commands made from a settings dataclass (codeforge.config): options, --config, --print-config.

    @settings_command(app, "report", ReportConfig)
    def report(config: ReportConfig) -> None: ...

Each field becomes an option (or an argument) with its help, limits, choices and environment variable. The
values are merged as codeforge.config says: default < --config file < environment < command line; click's
parameter source tells which of them a value came from.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from pathlib import Path
from typing import Any, Callable, List, Optional

from ..config import ConfigError, Settings, is_sequence, unwrap_optional, coerce, dump_yaml, plain, \
    read_config_file
from ..i18n import _

CONFIG_HELP = "Read settings from this YAML or TOML file (flags and CODEFORGE_* variables override it)."
PRINT_CONFIG_HELP = "Print the effective settings as YAML (what --config reads) and exit."


def option_names(field: dataclasses.Field) -> tuple[str, ...]:
    if field.metadata["flags"]:
        return field.metadata["flags"]
    name = "--" + field.name.replace("_", "-")
    if field.default is True:
        return (f"{name}/--no-{name[2:]}",)  # on by default: the flag that turns it off
    return (name,)


def _parameter(field: dataclasses.Field, annotation: Any) -> tuple[Any, Any]:
    """(annotation, typer.Option or typer.Argument) for one field."""
    import typer

    meta = field.metadata
    inner = unwrap_optional(annotation)[0]
    default = field.default
    if is_sequence(inner) and meta["repeat"]:
        annotation = List[typing.get_args(inner)[0]]  # the option given once per value
        default = list(default) if default else []
    elif is_sequence(inner):
        # Several values are one comma-separated option on the command line.
        annotation = Optional[str]
        default = ",".join(str(plain(v)) for v in default) if default else None
    kwargs: dict[str, Any] = {"help": meta["help"], "rich_help_panel": meta["panel"], "hidden": meta["hidden"]}
    if meta["min"] is not None:
        kwargs["min"] = meta["min"]
    if meta["max"] is not None:
        kwargs["max"] = meta["max"]
    if default is dataclasses.MISSING:
        # Required, but it may come from --config: the command line may leave it out, and merge() says so
        # when neither gives it.
        default = None
        annotation = Optional[annotation]
        kwargs["help"] = meta["help"] + " [required]"
    if meta["argument"]:
        return annotation, typer.Argument(default, **kwargs)
    if meta["env"]:
        kwargs["envvar"] = meta["env"]
    return annotation, typer.Option(default, *option_names(field), **kwargs)


def settings_command(app, name: str, cls: type[Settings], *, config_file: bool = True, context: bool = False,
                     callback: bool = False, **command_kwargs) -> Callable:
    """Register `body(config)` (or `body(ctx, config)` with `context=True`) as the command `name` of `app`,
    its options made from `cls`. With `config_file`, it also takes --config and --print-config. With
    `callback`, the body is `app`'s own callback: the sub-app is the command (`codeforge report [OPTIONS]`)."""

    def decorate(body: Callable) -> Callable:
        import typer

        hints = typing.get_type_hints(cls)
        fields = cls.settings_fields()
        parameters, annotations = [], {}

        def add(param: str, annotation: Any, default: Any) -> None:
            parameters.append(inspect.Parameter(param, inspect.Parameter.KEYWORD_ONLY, default=default,
                                                annotation=annotation))
            annotations[param] = annotation

        for field in fields:
            add(field.name, *_parameter(field, hints[field.name]))
        if config_file:
            add("config_file", Optional[Path], typer.Option(None, "--config", help=CONFIG_HELP,
                                                            rich_help_panel="Settings"))
            add("print_config", bool, typer.Option(False, "--print-config", help=PRINT_CONFIG_HELP,
                                                   rich_help_panel="Settings"))

        @functools.wraps(body)
        def command(ctx: typer.Context, **given: Any) -> None:
            try:
                config = merge(cls, given, ctx)
            except ConfigError as exc:
                from ._output import fail

                fail(str(exc))
            if given.get("print_config"):
                typer.echo(dump_yaml(config.to_dict()), nl=False)
                raise typer.Exit(0)
            return body(ctx, config) if context else body(config)

        del command.__wrapped__  # typer reads the signature below, not the body's
        command.__doc__ = reflow(inspect.getdoc(body) or "")
        context_parameter = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                              annotation=typer.Context)
        command.__signature__ = inspect.Signature([context_parameter, *parameters])
        command.__annotations__ = {"ctx": typer.Context, **annotations}
        command.settings_class = cls  # for tools and tests that walk the commands
        command.takes_config_file = config_file
        if callback:
            return app.callback(invoke_without_command=True, **command_kwargs)(command)
        return app.command(name, **command_kwargs)(command)

    return decorate


def reflow(doc: str) -> str:
    """A docstring's paragraphs each on one line: typer keeps a docstring's line breaks, so `--help` would show
    the source's wrapping inside the terminal's. List items ("- ...") keep their own lines."""
    paragraphs = []
    for paragraph in doc.split("\n\n"):
        lines: list[str] = []
        for line in paragraph.splitlines():
            if lines and not line.lstrip().startswith("- "):
                lines[-1] += " " + line.strip()
            else:
                lines.append(line.strip())
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def merge(cls: type[Settings], given: dict[str, Any], ctx) -> Settings:
    """The settings from the parsed command line `given`, the config file it names, and the defaults."""
    fields = cls.settings_fields()
    hints = typing.get_type_hints(cls)
    path = given.get("config_file")
    from_file = read_config_file(path) if path else {}
    unknown = sorted(set(from_file) - {f.name for f in fields})
    if unknown:
        raise ConfigError(_("{path}: unknown setting(s) {unknown}. Known: {known} (--print-config writes a "
                            "complete file)").format(path=path, unknown=", ".join(unknown),
                                                     known=", ".join(f.name for f in fields)))
    values = {}
    for field in fields:
        source = getattr(ctx.get_parameter_source(field.name), "name", "DEFAULT")
        label = field.name.upper() if field.metadata["argument"] else option_names(field)[0].split("/")[0]
        if source == "ENVIRONMENT":
            label = _("{variable} (for {option})").format(variable=field.metadata["env"], option=label)
        explicit = source in ("COMMANDLINE", "ENVIRONMENT", "PROMPT")
        if not explicit and field.name in from_file:
            value, label = from_file[field.name], f"{path}: {field.name}"
        else:
            value = given[field.name]
        if value is None and field.default is dataclasses.MISSING:
            raise ConfigError((_("{option} is required: give it on the command line or in the --config file")
                               if "config_file" in given else
                               _("{option} is required: give it on the command line")).format(option=label))
        values[field.name] = coerce(value, hints[field.name], label)
    try:
        return cls(**values)
    except ConfigError:
        raise
    except (ValueError, TypeError) as exc:
        raise ConfigError(str(exc)) from exc
