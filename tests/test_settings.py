"""Every command's options come from its settings object: each field has help and shows in --help, and
--print-config fed back through --config gives the same settings (for every field, changed one at a time)."""

from __future__ import annotations

import dataclasses
import enum
import typing
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from codeforge.cli import app
from codeforge.commands._settings import option_names
from codeforge.config import is_sequence, unwrap_optional


def settings_commands(typer_app, prefix=()):
    """(command words, callback) for every command made by settings_command, walking the whole CLI."""
    found = []
    callback = typer_app.registered_callback
    if callback is not None and hasattr(callback.callback, "settings_class"):
        found.append((prefix, callback.callback))
    for command in typer_app.registered_commands:
        if hasattr(command.callback, "settings_class"):
            found.append(((*prefix, command.name), command.callback))
    for group in typer_app.registered_groups:
        found.extend(settings_commands(group.typer_instance, (*prefix, group.name)))
    return found


COMMANDS = settings_commands(app)
IDS = [" ".join(words) for words, _ in COMMANDS]
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "250"})


# Settings that are valid only together with another one, and values of a given form.
_DPO = ("--method", "dpo", "--from-run", "X")  # finetune's preference options belong to --method dpo
_GRPO = ("--method", "grpo")  # and its reward options to --method grpo
COMPANIONS = {"--depth": ("--kind", "ast"), "--types": ("--kind", "ast"), "--method": ("--from-run", "X"),
              **{flag: _DPO for flag in ("--beta", "--sft-weight", "--max-pairs-per-task", "--held-back",
                                         "--pairs-out")},
              **{flag: _GRPO for flag in ("--reward", "--reward-shape", "--num-generations",
                                          "--max-completion-length")},
              ("finetune", "--temperature"): _GRPO,  # (command, flag): a flag other commands have too
              "--revisit-ratio": ("--curriculum", "2"), ("finetune", "--samples"): ("--curriculum", "2"),
              "--then-dpo": ("--curriculum", "2", "--samples", "2")}
FORMS = {"--pair": "A:B", "--num-generations": "4"}  # a group size that divides a step's 16 answers


def required_arguments(cls, tmp_path: Path) -> list[str]:
    """Values for the arguments and options that have no default: an existing file for a path."""
    values = []
    hints = typing.get_type_hints(cls)
    for field in cls.settings_fields():
        if field.default is not dataclasses.MISSING:
            continue
        if unwrap_optional(hints[field.name])[0] is Path:
            path = tmp_path / f"{field.name}.py"
            path.write_text("print(1)\n")
            value = str(path)
        else:
            value = "humaneval" if field.name == "dataset" else "X"
        values.extend([value] if field.metadata["argument"] else [option_names(field)[0], value])
    return values


def other_value(field: dataclasses.Field, annotation) -> str:
    """A valid value for `field` other than its default, as it is typed on the command line."""
    inner, _ = unwrap_optional(annotation)
    default = field.default
    low, high = field.metadata["min"], field.metadata["max"]
    if is_sequence(inner):
        item = typing.get_args(inner)[0]
        if isinstance(item, type) and issubclass(item, enum.Enum):
            return ",".join(m.value for m in list(item)[:2])
        return "2,3" if item is int else "a,b"
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return next(m.value for m in inner if m != default)
    if inner is int:
        return str(max(low or 0, (default or 0)) + 1 if high is None else (low + high) // 2)
    if inner is float:
        value = (low + high) / 2 if high is not None and low is not None else max(low or 0, default or 0) + 1.5
        return str(value if value != default else value / 2)
    if inner is Path:
        return "some/where"
    return "x"


@pytest.mark.parametrize("words, callback", COMMANDS, ids=IDS)
def test_every_field_has_help_and_shows_in_help(words, callback):
    shown = invoke(*words, "--help")
    assert shown.exit_code == 0, shown.output
    for field in callback.settings_class.settings_fields():
        assert field.metadata["help"].strip(), field.name
        if not field.metadata["argument"] and not field.metadata["hidden"]:
            assert option_names(field)[0].split("/")[0] in shown.output, field.name


@pytest.mark.parametrize("words, callback", [c for c in COMMANDS if c[1].takes_config_file],
                         ids=[i for i, c in zip(IDS, COMMANDS) if c[1].takes_config_file])
def test_print_config_fed_back_through_config_gives_the_same_settings(words, callback, tmp_path):
    cls = callback.settings_class
    arguments = required_arguments(cls, tmp_path)
    hints = typing.get_type_hints(cls)
    changes = [()] + [(option_names(f)[0].split("/")[-1 if f.default is True else 0],
                       FORMS.get(option_names(f)[0]) or other_value(f, hints[f.name]))
                      for f in cls.settings_fields()
                      if f.metadata["stored"] and not f.metadata["argument"] and f.default is not dataclasses.MISSING]
    for change in changes:
        given = change[:1] if change and is_flag(cls, change[0]) else change  # a flag takes no value
        companions = change and (COMPANIONS.get((words[0], change[0])) or COMPANIONS.get(change[0]))
        if companions:
            given = (*given, *companions)
        args = [*words, *arguments, *given]
        printed = invoke(*args, "--print-config")
        assert printed.exit_code == 0, (change, printed.output)
        config = tmp_path / "settings.yaml"
        config.write_text(printed.stdout)
        again = invoke(*words, "--config", str(config), "--print-config")  # required values from the file
        assert again.exit_code == 0, (change, again.output)
        assert yaml.safe_load(again.stdout) == yaml.safe_load(printed.stdout), change
        if change:
            unchanged = invoke(*words, *arguments, "--print-config")
            assert yaml.safe_load(printed.stdout) != yaml.safe_load(unchanged.stdout), change


def is_flag(cls, flag: str) -> bool:
    """Whether `flag` is a bool field's option (it takes no value)."""
    hints = typing.get_type_hints(cls)
    return any(flag in option_names(f)[0].split("/") and unwrap_optional(hints[f.name])[0] is bool
               for f in cls.settings_fields())


def test_a_setting_without_help_is_refused_when_declared():
    from codeforge.config import setting

    with pytest.raises(TypeError, match="help"):
        setting(1)


def test_help_texts_are_reflowed_not_wrapped_as_in_the_source():
    from codeforge.commands._settings import reflow

    doc = "First line\ngoes on.\n\nA list:\n- one\n- two\n  continued\n\nExample: codeforge x"
    assert reflow(doc) == "First line goes on.\n\nA list:\n- one\n- two continued\n\nExample: codeforge x"
    for words, callback in COMMANDS:  # what typer shows: one line per paragraph, wrapped to the terminal
        for paragraph in callback.__doc__.split("\n\n"):
            assert all(line.startswith("- ") for line in paragraph.splitlines()[1:]), (words, paragraph)
