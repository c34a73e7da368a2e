"""The language of help texts and messages: English (the source text) or Russian, chosen once per process.

The choice, first found wins: `codeforge --lang ru ...`, then CODEFORGE_LANG, then the locale (LC_ALL,
LC_MESSAGES, LANG: ru_RU.UTF-8 is ru), then English. The catalog is gettext's: the Russian is
codeforge/locale/ru/LC_MESSAGES/codeforge.po, compiled to the .mo beside it (see the README's Languages part).

    from ..i18n import _
    fail(_("no run named {name}").format(name=name))

Translate the template, then format: numbers, names, paths and statuses stay as they are in every language.
Text that is built before the language is chosen (help texts, made when the commands are defined) is
translated where it is shown: cli.py translates the command tree before it runs.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import os
import re
from pathlib import Path
from typing import Optional

DOMAIN = "codeforge"
LOCALE_DIR = Path(__file__).parent / "locale"
SUPPORTED = ("en", "ru")
ENV = "CODEFORGE_LANG"
_LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")

_chosen: Optional[str] = None
_translations: Optional[_gettext.NullTranslations] = None


class LanguageError(ValueError):
    """A language codeforge has no catalog for."""


def parse(value: str, where: str = "--lang") -> str:
    """`value` as a supported language code (ru, ru_RU, ru_RU.UTF-8 and RU are all ru)."""
    code = value.strip().split(".")[0].split("@")[0].split("_")[0].split("-")[0].lower()
    if code not in SUPPORTED:
        # untranslated: said when no language could be chosen
        raise LanguageError(f"{where} {value!r} is not a supported language: use {' or '.join(SUPPORTED)}")
    return code


def from_locale(environ=os.environ) -> str:
    """The language the locale asks for; English where it names none that codeforge has (C, POSIX, de_DE)."""
    for name in _LOCALE_VARIABLES:
        value = environ.get(name)
        if value:
            try:
                return parse(value)
            except LanguageError:
                return "en"
    return "en"


def choose(lang: Optional[str] = None, environ=os.environ) -> str:
    """The language from --lang (`lang`), else CODEFORGE_LANG, else the locale; raises LanguageError for an
    unsupported --lang or CODEFORGE_LANG."""
    if lang:
        return parse(lang, "--lang")
    if environ.get(ENV):
        return parse(environ[ENV], ENV)
    return from_locale(environ)


def select(language: str) -> None:
    """Use `language` for the rest of the process, also for click's and typer's own words (Usage, Options):
    they ask gettext's global domain, which becomes ours, in the language chosen here."""
    global _chosen, _translations
    _chosen = language
    _translations = _gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[language], fallback=True)
    _gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    _gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = language  # gettext's global functions read the language from here


def language() -> str:
    """The chosen language (chosen from the environment on first use when select() was not called)."""
    if _chosen is None:
        try:
            select(choose())
        except LanguageError:
            select("en")  # main() has already refused the value; code used as a library stays in English
    assert _chosen is not None
    return _chosen


def translations() -> _gettext.NullTranslations:
    """The chosen language's catalog (gettext, ngettext, ...); a Jinja2 environment can install it."""
    language()
    assert _translations is not None
    return _translations


def _(message: str) -> str:
    """`message` in the chosen language (the English itself where the catalog has no translation)."""
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message that fits the number `n` (Russian has three: 1 программа, 2 программы, 5 программ)."""
    return translations().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks `message` for the catalog where it is defined; it is translated with _() where it is shown."""
    return message


class Said(str):
    """A message in the chosen language that keeps its English (`.english`): for an error that is shown to the
    user and also kept as data (a --json field, a stored or written result)."""

    english: str


def said(template: str, **values) -> Said:
    """`_(template).format(**values)`, keeping `template.format(**values)` as its English; a value that is itself
    a Said (or an exception raised with one) is put into the English as its English."""
    shown = Said(_(template).format(**values))
    shown.english = template.format(**{name: english(value) for name, value in values.items()})
    return shown


def english(message) -> str:
    """The English of `message`: a Said's, or that of the exception raised with one; other text as it is (an
    error of Docker, of the hub or of Python is English already)."""
    if isinstance(message, BaseException):
        message = message.args[0] if len(message.args) == 1 else str(message)
    return message.english if isinstance(message, Said) else str(message)


def message_of(exc: BaseException) -> str:
    """What `exc` says, keeping its English where said() made it (str(exc) would drop it)."""
    return exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], Said) else str(exc)


# pydantic's words for a value it refuses (typer's option values, job-file fields), in the order they are tried
VALUE_PROBLEMS = (
    N_("Field required"),
    N_("Extra inputs are not permitted"),
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid integer, got a number with a fractional part"),
    N_("Input should be a valid integer"),
    N_("Input should be a valid number, unable to parse string as a number"),
    N_("Input should be a valid number"),
    N_("Input should be a valid boolean, unable to interpret input"),
    N_("Input should be a valid boolean"),
    N_("Input should be greater than or equal to {bound}"),
    N_("Input should be greater than {bound}"),
    N_("Input should be less than or equal to {bound}"),
    N_("Input should be less than {bound}"),
    N_("Input should be a finite number"),
    N_("Input should be a valid string"),
    N_("Input should be a valid list"),
    N_("Input should be a valid dictionary"),
    N_("Input should be {choices}"),  # one of fixed values: 'a' or 'b'
)


@functools.lru_cache(maxsize=None)
def _shape(template: str) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, ..., literal
    return re.compile("".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
                              for index, part in enumerate(parts)), re.DOTALL)


def said_again(line: str, shapes=VALUE_PROBLEMS, messages: tuple[str, ...] = ()) -> str:
    """`line`, English text of a known shape written by a library (one of `shapes`, templates with named parts), in
    the chosen language: its parts (what the user typed, names, numbers) as they were, those named in `messages`
    said again themselves. A line of no known shape is returned as it is."""
    for template in shapes:
        found = _shape(template).fullmatch(line)
        if found:
            parts = {name: said_again(value, shapes, messages) if name in messages else value
                     for name, value in found.groupdict().items()}
            return _(template).format(**parts)
    return line
