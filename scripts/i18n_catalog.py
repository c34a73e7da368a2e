"""Update the translation catalog: python scripts/i18n_catalog.py [update|compile] (needs Babel: pip install babel).

update: collect every message the code has into codeforge/locale/codeforge.pot, and merge it into each
  language's codeforge.po (new messages get an empty msgstr to translate; gone ones become obsolete).
compile: write each .po's .mo beside it (the .mo is what codeforge reads and ships).

The messages are those of `_()`, `N_()`, `said()` and `ngettext()` calls (Babel's extractor over codeforge/), the help texts, docstrings
and panel names of every command as the CLI builds them (settings help texts are not literal `_()` calls, and
some are made from lists), and the words of click and typer that their help and errors show.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "codeforge"
LOCALE = PACKAGE / "locale"
POT = LOCALE / "codeforge.pot"
KEYWORDS = {"_": None, "N_": None, "said": None, "ngettext": (1, 2)}

# typer's own words in help pages and error lines: it asks gettext's global domain, which codeforge makes its
# own. The click that typer carries has no gettext: cli.py translates its "Usage:" and its help option.
FRAMEWORK = (
    "Options", "Commands", "Arguments", "[default: {}]", "[env var: {}]", "[required]", "(deprecated) ",
    "(dynamic)", "default: {default}", "env var: {var}", "required", "Error", "Aborted.", "Aborted!",
    "Try [blue]'{command_path} {help_option}'[/] for help.", "Missing command.", "No such command {name!r}.",
)


def help_texts() -> dict[str, str]:
    """Every help text, docstring and panel name of the CLI (English), with the command it belongs to."""
    sys.path.insert(0, str(ROOT))
    import typer

    from codeforge import i18n
    from codeforge.cli import app

    i18n.select("en")
    found: dict[str, str] = {}

    def add(text, where: str) -> None:
        if not text:
            return
        required = " [required]"
        found.setdefault(text[: -len(required)] if text.endswith(required) else text, where)

    def walk(command, path: str) -> None:
        for attribute in ("help", "short_help", "rich_help_panel"):
            add(getattr(command, attribute, None), path)
        for param in command.params:
            for attribute in ("help", "rich_help_panel"):
                add(getattr(param, attribute, None), f"{path} {param.opts[0] if param.opts else param.name}")
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(app), "codeforge")
    return found


def template():
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    from codeforge import __version__

    catalog = Catalog(project="codeforge", version=__version__, domain="codeforge", charset="utf-8",
                      copyright_holder="the codeforge authors", msgid_bugs_address="")
    # Page templates use Jinja2's i18n extension ({{ _("Runs") }}); Jinja2 provides their extractor.
    methods = [("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")]
    for filename, lineno, message, comments, context in extract_from_dir(
            str(PACKAGE), method_map=methods, keywords=KEYWORDS):
        catalog.add(message, locations=[(f"codeforge/{filename}", lineno)], auto_comments=comments)
    for text, where in help_texts().items():
        if text not in catalog:
            catalog.add(text, auto_comments=[f"help: {where}"])
    for text in FRAMEWORK:
        if text not in catalog:
            catalog.add(text, auto_comments=["click/typer"])
    return catalog


def po_files() -> list[Path]:
    return sorted(LOCALE.glob("*/LC_MESSAGES/codeforge.po"))


def update() -> None:
    from babel.messages.pofile import read_po, write_po

    pot = template()
    with POT.open("wb") as out:
        write_po(out, pot, width=116, omit_header=False)
    for po in po_files():
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name, domain="codeforge")
        catalog.update(pot, no_fuzzy_matching=True)
        with po.open("wb") as out:
            write_po(out, catalog, width=116, ignore_obsolete=True)
        missing = [m.id for m in catalog if m.id and not all(m.string if m.pluralizable else [m.string])]
        print(f"{po.relative_to(ROOT)}: {len(catalog)} messages, {len(missing)} to translate")


def compiled(po: Path) -> bytes:
    """The .mo that `po` compiles to (what the test compares with the shipped one)."""
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=po.parent.parent.name, domain="codeforge")
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_all() -> None:
    for po in po_files():
        po.with_suffix(".mo").write_bytes(compiled(po))
        print(f"wrote {po.with_suffix('.mo').relative_to(ROOT)}")


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else "update"
    {"update": update, "compile": compile_all}[action]()
