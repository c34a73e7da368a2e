"""typer's own error lines (a bad option, a value of the wrong type, a missing argument) in the chosen language.

The click that typer carries, and pydantic that checks the values, write them in English. They have few shapes,
each written here once as a template with named parts: a line that matches one is said again in the chosen
language, its parts (what the user typed, option names, numbers) as they were. A line of no known shape is shown
as it is.
"""

from __future__ import annotations

from ..i18n import N_, VALUE_PROBLEMS, said_again

# Their shapes, more particular ones first; {reason} and {message} are messages themselves, said again too.
LINES = (
    N_("Invalid value for {option}: {reason}"),
    N_("Invalid value: {reason}"),
    N_("Missing option {option}."),
    N_("Missing argument {argument}."),
    N_("Missing parameter {parameter}."),
    N_("No such option: {option} (Possible options: {options})"),
    N_("No such option: {option}"),
    N_("Option {option} requires an argument."),
    N_("Option {option} requires {count} arguments."),
    N_("Option {option} does not take a value."),
    N_("Argument {argument} takes {count} values."),
    N_("Got unexpected extra argument(s) ({arguments})"),
    N_("{message}. Did you mean {suggestions}?"),
    # why a value was refused (pydantic's words come after these: i18n.VALUE_PROBLEMS)
    N_("{value} is not one of {choices}."),
    N_("Value {value} is not a valid {kind}."),
    N_("File {path} does not exist."),
    N_("Directory {path} does not exist."),
    N_("Path {path} does not exist."),
    N_("File {path} is a directory."),
    N_("Directory {path} is a file."),
    N_("Path {path} is not readable."),
    N_("Path {path} is not writable."),
)


def translated(line: str) -> str:
    """`line`, one of typer's error lines, in the chosen language (as it is when its shape is unknown)."""
    return said_again(line, LINES + VALUE_PROBLEMS, ("reason", "message"))
