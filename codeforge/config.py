"""Settings: one frozen dataclass per command, from which everything else about its options derives.

    @dataclass(frozen=True)
    class ReportConfig(Settings):
        out: Path = setting(Path("runs/report"), "Folder for the PNGs, report.json and report.html.")
        heatmap: bool = setting(False, "Also draw every task by every method.")

From the dataclass come: the command's options (commands/_settings.py makes them: flag names, help,
choices, limits, environment variables), the `--config FILE` reader (YAML or TOML, flat `name: value`
pairs), `--print-config` (the effective settings as YAML, which `--config` reads back), the configuration a
run stores, and its identity (the fields marked `identity=True`: what a stored sample depends on).
Precedence, lowest first:

    the field's default < the config file < the environment (CODEFORGE_*, and .env in the working
    directory) < flags on the command line

Nothing here imports more than the standard library (YAML, TOML and .env readers when a file is read):
`codeforge --help` builds every command's options from these classes.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import typing
from pathlib import Path
from typing import Any, Optional, Union

from .i18n import _

class ConfigError(ValueError):
    """Settings that cannot be used; the message names the setting and what to give instead."""


def setting(default: Any = dataclasses.MISSING, help: str = "", *, flags: tuple[str, ...] = (),
            env: Optional[str] = None, identity: bool = False, argument: bool = False,
            min: Optional[float] = None, max: Optional[float] = None, panel: Optional[str] = None,
            stored: bool = True, hidden: bool = False, repeat: bool = False) -> Any:
    """A dataclass field with what its command line option needs.

    flags: option names (default: `--field-name`); env: an environment variable that sets it; identity: part
    of a stored run's identity; argument: a positional argument instead of an option; min/max: limits;
    panel: the group it is listed under in --help; stored: written by --print-config and into stored runs;
    repeat: a tuple field given as the option repeated (`--pair A:B --pair C:D`) instead of comma-separated.
    """
    if not help:
        raise TypeError("every setting needs a help text")  # untranslated: a programming error
    metadata = {"help": help, "flags": tuple(flags), "env": env, "identity": identity, "argument": argument,
                "min": min, "max": max, "panel": panel, "stored": stored, "hidden": hidden,
                "repeat": repeat}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple for a setting that holds several values")  # untranslated: a programming error
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class Settings:
    """Base of every command's settings. Subclasses are frozen dataclasses of `setting(...)` fields."""

    def __post_init__(self) -> None:
        """Values given as plain text or numbers (from code, files, stored runs) become the declared types."""
        hints = _hints(type(self))
        for field in self.settings_fields():
            value = getattr(self, field.name)
            converted = coerce(value, hints[field.name], field.name)
            if converted is not value:
                object.__setattr__(self, field.name, converted)
            _check_limits(field, converted)

    @classmethod
    def settings_fields(cls) -> list[dataclasses.Field]:
        return [f for f in dataclasses.fields(cls) if "help" in f.metadata]

    @classmethod
    def identity_fields(cls) -> tuple[str, ...]:
        return tuple(f.name for f in cls.settings_fields() if f.metadata["identity"])

    def to_dict(self) -> dict[str, Any]:
        """The stored fields as plain values (enums as their value, paths as text, tuples as lists)."""
        return {f.name: plain(getattr(self, f.name)) for f in self.settings_fields() if f.metadata["stored"]}

    def identity(self) -> dict[str, Any]:
        return {name: plain(getattr(self, name)) for name in self.identity_fields()}

    @classmethod
    def from_dict(cls, values: dict[str, Any], where: Optional[str] = None):
        """Settings from plain values (a config file, a stored run); unknown names are an error."""
        where = where or _("the settings")
        known = {f.name: f for f in cls.settings_fields()}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(_("{where}: unknown setting(s) {unknown}. Known: {known}").format(
                where=where, unknown=", ".join(unknown), known=", ".join(known)))
        hints = _hints(cls)
        return cls(**{name: coerce(value, hints[name], f"{where}: {name}") for name, value in values.items()})

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


def _check_limits(field: dataclasses.Field, value: Any) -> None:
    low, high = field.metadata["min"], field.metadata["max"]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if (low is not None and value < low) or (high is not None and value > high):
        flag = (field.metadata["flags"] or ("--" + field.name.replace("_", "-"),))[0]
        if low is not None and high is not None:
            message = _("{option} must be at least {low} and at most {high} (got {value})")
        elif low is not None:
            message = _("{option} must be at least {low} (got {value})")
        else:
            message = _("{option} must be at most {high} (got {value})")
        raise ConfigError(message.format(option=flag, low=low, high=high, value=value))


@functools.lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


# -- values --------------------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return value


def unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    if typing.get_origin(annotation) is Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def is_sequence(annotation: Any) -> bool:
    return typing.get_origin(annotation) is tuple


def coerce(value: Any, annotation: Any, where: str) -> Any:
    """`value` (from a file, the environment or a stored run) as the type the field declares."""
    inner, optional = unwrap_optional(annotation)
    if value is None:
        if optional:
            return None
        if is_sequence(inner):
            return ()
        raise ConfigError(_("{where} needs a value").format(where=where))
    if is_sequence(inner):
        item = typing.get_args(inner)[0]
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, (list, tuple)):
            raise ConfigError(_("{where} takes a list (or a comma-separated text), not {value}").format(
                where=where, value=repr(value)))
        return tuple(coerce(v, item, where) for v in value)
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        try:
            return inner(value.value if isinstance(value, enum.Enum) else value)
        except ValueError:
            raise ConfigError(_("{where} is {value}: use one of {choices}").format(
                where=where, value=repr(value), choices=", ".join(m.value for m in inner))) from None
    if inner is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.strip().lower() in ("1", "true", "yes", "on")
        raise ConfigError(_("{where} takes true or false, not {value}").format(where=where, value=repr(value)))
    if inner is int:
        whole = _("{where} takes a whole number, not {value}")
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ConfigError(whole.format(where=where, value=repr(value)))
        try:
            return int(value)
        except ValueError:
            raise ConfigError(whole.format(where=where, value=repr(value))) from None
    if inner is float:
        number = _("{where} takes a number, not {value}")
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ConfigError(number.format(where=where, value=repr(value)))
        try:
            return float(value)
        except ValueError:
            raise ConfigError(number.format(where=where, value=repr(value))) from None
    if inner is Path:
        if not isinstance(value, (str, Path)):
            raise ConfigError(_("{where} takes a path, not {value}").format(where=where, value=repr(value)))
        return Path(value)
    if inner is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(_("{where} takes text, not {value}").format(where=where, value=repr(value)))
        return str(value)
    return value


# -- config files --------------------------------------------------------------------------------------------


def read_config_file(path: Path) -> dict[str, Any]:
    """A flat mapping of setting names to values from a .yaml/.yml/.toml file (a .json file reads as YAML)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(_("cannot read the config file {path}: {error}").format(
            path=path, error=exc.strerror or exc)) from exc
    if path.suffix.lower() == ".toml":
        try:
            import tomllib
        except ImportError:  # Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(_("{path} is not valid TOML: {error}").format(path=path, error=exc)) from exc
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(_("{path} is not valid YAML: {error}").format(path=path, error=exc)) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(_("{path} must hold `name: value` pairs, one per setting").format(path=path))
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def dump_yaml(values: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(values, sort_keys=False, allow_unicode=True, default_flow_style=False)


def load_dotenv(directory: Optional[Path] = None) -> None:
    """Variables from `.env` in the working directory (HF_TOKEN, CODEFORGE_*), never over ones already set."""
    path = Path(directory or Path.cwd()) / ".env"
    if path.is_file():
        from dotenv import load_dotenv as _load

        _load(path, override=False)
