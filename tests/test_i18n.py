"""Help and messages in English or Russian (`--lang`, CODEFORGE_LANG, the locale); numbers, names and JSON the
same in both; the shipped catalog complete and compiled from its .po."""

from __future__ import annotations

import ast
import gettext
import json
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from codeforge import i18n

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "codeforge" / "locale" / "ru" / "LC_MESSAGES" / "codeforge.po"
HOW_TO_UPDATE = ("update the catalog: python scripts/i18n_catalog.py update, translate the empty msgstr in "
                 f"{PO.relative_to(ROOT)}, then python scripts/i18n_catalog.py compile (README: Languages)")
LANGUAGE_VARIABLES = ("CODEFORGE_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def codeforge(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The CLI in a process whose language comes only from `env` (the machine's locale left out)."""
    base = {k: v for k, v in os.environ.items() if k not in LANGUAGE_VARIABLES}
    return subprocess.run([sys.executable, "-m", "codeforge", *args], capture_output=True, text=True, timeout=120,
                          env={**base, "COLUMNS": "200", **(env or {})}, cwd=cwd)


def options(help_text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z0-9][a-z0-9-]*", help_text))


def catalog_tool():
    spec = importlib.util.spec_from_file_location("i18n_catalog", ROOT / "scripts" / "i18n_catalog.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- choosing the language ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [("ru", "ru"), ("RU", "ru"), ("ru_RU.UTF-8", "ru"), ("en_US", "en"),
                                             ("ru-RU", "ru")])
def test_a_language_is_read_from_its_usual_spellings(value, expected):
    assert i18n.parse(value) == expected


def test_the_flag_wins_over_the_variable_and_the_variable_over_the_locale():
    environ = {"CODEFORGE_LANG": "en", "LANG": "ru_RU.UTF-8"}
    assert i18n.choose("ru", environ) == "ru"
    assert i18n.choose(None, environ) == "en"
    assert i18n.choose(None, {"LANG": "ru_RU.UTF-8"}) == "ru"
    assert i18n.choose(None, {"LC_ALL": "C", "LANG": "ru_RU.UTF-8"}) == "en"  # LC_ALL overrides LANG
    assert i18n.choose(None, {"LANG": "de_DE.UTF-8"}) == "en"  # a locale without a catalog: English
    assert i18n.choose(None, {}) == "en"


def test_an_unsupported_language_asked_for_is_refused():
    with pytest.raises(i18n.LanguageError, match="use en or ru"):
        i18n.choose("de", {})
    with pytest.raises(i18n.LanguageError, match="CODEFORGE_LANG 'de'"):
        i18n.choose(None, {"CODEFORGE_LANG": "de"})


# -- the command line -----------------------------------------------------------------------------------------


def test_bench_help_in_russian_with_the_same_option_names():
    english = codeforge("bench", "run", "--help")
    russian = codeforge("--lang", "ru", "bench", "run", "--help")
    assert english.returncode == russian.returncode == 0, russian.stderr
    assert "Выборок на задачу." in russian.stdout  # --samples
    assert "Раундов обратной связи и повторной генерации после первого." in russian.stdout  # --chain
    assert "Раунды обратной связи" in russian.stdout and "Параметры" in russian.stdout  # panels
    assert "Показать эту справку и выйти." in russian.stdout  # the help option of typer's own click
    assert "Использование:" in russian.stdout and "Usage:" not in russian.stdout
    assert "Samples per task." not in russian.stdout
    assert options(russian.stdout) == options(english.stdout)


def test_bench_group_help_in_russian():
    result = codeforge("--lang", "ru", "bench", "--help")
    assert result.returncode == 0, result.stderr
    assert "Бенчмарк модели" in result.stdout and "Команды" in result.stdout
    for command in ("run", "list", "show", "rerun", "rescore", "mine-hard", "delete"):
        assert command in result.stdout


@pytest.mark.parametrize("env", [{"CODEFORGE_LANG": "ru"}, {"LANG": "ru_RU.UTF-8"}, {"LC_ALL": "ru_RU.UTF-8"}])
def test_the_variable_and_the_locale_choose_russian_too(env):
    result = codeforge("bench", "show", "--help", env=env)
    assert result.returncode == 0, result.stderr
    assert "Показать каждую выборку и каждый раунд этой задачи." in result.stdout


def test_the_flag_overrides_a_russian_locale():
    result = codeforge("--lang", "en", "bench", "show", "--help", env={"LANG": "ru_RU.UTF-8"})
    assert "Show every sample and round of this task." in result.stdout


@pytest.mark.parametrize("args, env", [(("--lang", "de", "bench", "--help"), {}),
                                       (("--lang=de", "bench", "--help"), {}),
                                       (("bench", "--help"), {"CODEFORGE_LANG": "de"})])
def test_an_unsupported_language_is_one_line_naming_the_supported_ones(args, env):
    result = codeforge(*args, env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "use en or ru" in result.stderr and "Traceback" not in result.stderr


def test_the_root_help_lists_the_lang_option():
    result = codeforge("--help")
    assert "--lang" in result.stdout and "en (English) or ru (Russian)" in result.stdout


# -- the catalog ----------------------------------------------------------------------------------------------


def marked_messages() -> tuple[set[str], set[str]]:
    """The literal messages of every _() and N_() call in codeforge/, and the singulars of every ngettext() call
    (what Babel extracts)."""
    single, plural = set(), set()
    for path in (ROOT / "codeforge").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and node.args
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in ("_", "N_", "said"):
                single.add(node.args[0].value)
            elif name == "ngettext":
                plural.add(node.args[0].value)
    for path in (ROOT / "codeforge").glob("**/templates/**/*.html"):  # pages: Jinja2's i18n extension
        from jinja2.ext import babel_extract

        with path.open("rb") as f:
            for _line, function, message, _comments in babel_extract(f, ("_", "gettext", "ngettext"), [], {}):
                # a message with named values comes as a tuple too: its function says whether it is a plural
                first = message if isinstance(message, str) else message[0] if message else None
                if first:
                    (plural if function == "ngettext" else single).add(first)
    return single, plural


def test_every_message_of_the_code_has_a_russian_translation_in_the_shipped_catalog():
    tool = catalog_tool()
    single, plural = marked_messages()
    wanted = single | set(tool.help_texts()) | set(tool.FRAMEWORK)
    with (PO.with_suffix(".mo")).open("rb") as f:
        catalog = gettext.GNUTranslations(f)
    missing = sorted(m for m in wanted if not catalog._catalog.get(m))
    missing += sorted(m for m in plural if not all(catalog._catalog.get((m, form)) for form in range(3)))
    assert not missing, f"{len(missing)} message(s) without a Russian translation, e.g. {missing[:3]}: {HOW_TO_UPDATE}"


def english_raises(path: Path) -> list[str]:
    """The `raise Error("literal text")` lines of `path` whose text is not passed through _() or ngettext() and not
    marked `# untranslated: why` (data a model or the store gets, or an error no user sees)."""
    lines = path.read_text(encoding="utf-8").splitlines()

    def literal(node) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str)
        if isinstance(node, ast.JoinedStr):
            return True
        if isinstance(node, ast.BinOp):
            return literal(node.left) or literal(node.right)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            return literal(node.func.value)
        return False

    found = []
    for node in ast.walk(ast.parse("\n".join(lines))):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args):
            continue
        marked = any("# untranslated:" in lines[n - 1]
                     for n in range(max(node.lineno - 1, 1), (node.end_lineno or node.lineno) + 1))
        if literal(node.exc.args[0]) and not marked:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_error_the_library_raises_with_words_is_translated_or_says_why_not():
    inside_containers = (ROOT / "codeforge" / "sandbox" / "runner", ROOT / "codeforge" / "sandbox" / "recipes")
    found = [where for path in sorted((ROOT / "codeforge").rglob("*.py"))
             if not any(folder in path.parents for folder in inside_containers)
             for where in english_raises(path)]
    assert not found, (f"{len(found)} raise(s) with English text not passed through _(), e.g. {found[:5]}: wrap the "
                       "template in _() and format after it, or end the line with `# untranslated: why` when the "
                       "text is data (stored, sent to a model) or never shown")


def binds_underscore(function) -> bool:
    """Whether `function` makes `_` one of its own names (a loop or unpacking target, an argument): in its whole
    body `_` is then that name, and a _() call there fails."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
              ast.DictComp, ast.GeneratorExp)
    arguments = function.args
    if any(a.arg == "_" for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                                  *filter(None, (arguments.vararg, arguments.kwarg))]):
        return True
    pending = list(function.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, ast.ExceptHandler) and node.name == "_":
            return True
        pending.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, nested))
    return False


def test_no_function_of_a_module_that_translates_takes_the_name_of_its_translator():
    found = []
    for path in sorted((ROOT / "codeforge").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not any(isinstance(n, ast.ImportFrom) and (n.module or "").endswith("i18n") and
                   any(a.name == "_" for a in n.names) for n in ast.walk(tree)):
            continue
        found += [f"{path.relative_to(ROOT)}:{n.lineno}" for n in ast.walk(tree)
                  if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and binds_underscore(n)]
    assert not found, f"these functions bind `_`, which hides _() in them: name the value (e.g. `_unused`): {found}"


def test_plural_messages_take_the_russian_forms():
    russian = gettext.translation(i18n.DOMAIN, str(i18n.LOCALE_DIR), languages=["ru"])
    forms = [russian.ngettext("{count} finding", "{count} findings", n).format(count=n) for n in (1, 3, 5, 21)]
    assert forms == ["1 замечание", "3 замечания", "5 замечаний", "21 замечание"]


def test_the_shipped_mo_is_the_po_compiled():
    pytest.importorskip("babel", reason="Babel (the dev extra) compiles the catalog")
    assert PO.with_suffix(".mo").read_bytes() == catalog_tool().compiled(PO), HOW_TO_UPDATE


def test_translations_keep_the_placeholders_and_option_names():
    with (PO.with_suffix(".mo")).open("rb") as f:
        catalog = gettext.GNUTranslations(f)
    for english, russian in catalog._catalog.items():
        english = english[0] if isinstance(english, tuple) else english  # a plural form: its singular
        if not english:
            continue
        assert sorted(re.findall(r"\{[^}]*\}", english)) == sorted(re.findall(r"\{[^}]*\}", russian)), english
        assert options(english) <= options(russian), english


def test_the_translations_object_serves_a_template_engine():
    translations = i18n.translations()
    assert callable(translations.gettext) and callable(translations.ngettext)


# -- messages and output --------------------------------------------------------------------------------------


def stored_run(path: Path) -> Path:
    """A results store holding one finished bench run with a passed and a failed sample."""
    from codeforge.store import Store

    with Store.open(path) as store:
        run = store.create_run("BASE", "humaneval", model="m", backend="hf", adapter=None, prompt_mode="chat",
                               feedback="visible", chain=0, samples_per_task=1, seed=0,
                               config={"temperature": 0.0}, versions={"python": "3"})
        store.set_tasks(run.id, ["T/0", "T/1"])
        for task, status in (("T/0", "passed"), ("T/1", "failed")):
            sample = store.add_sample(run.id, task, 0, 0, prompt="{}", raw_output="raw", code="x = 1\n",
                                      finish_reason="stop", prompt_tokens=3, completion_tokens=5, gen_seconds=0.5)
            store.add_execution(sample, "tests", status, status == "passed", 0.1, {"status": status})
        store.finish_run(run.id)
    return path


def test_an_error_line_in_russian_keeps_the_path_and_exits_2(tmp_path):
    missing = tmp_path / "missing.db"
    result = codeforge("--lang", "ru", "bench", "show", "BASE", "--db", str(missing))
    assert result.returncode == 2
    assert result.stderr.startswith("ошибка: нет хранилища результатов ")
    assert str(missing) in result.stderr.replace("\n", "") and "--db" in result.stderr
    english = codeforge("bench", "show", "BASE", "--db", str(missing))
    assert english.returncode == 2 and english.stderr.startswith("error: no results store at ")


def test_a_missing_run_is_told_in_russian_with_the_names_as_they_are(tmp_path):
    db = stored_run(tmp_path / "codeforge.db")
    result = codeforge("bench", "show", "NOPE", "--db", str(db), env={"CODEFORGE_LANG": "ru"})
    assert result.returncode == 2
    assert "нет запуска с именем 'NOPE'" in result.stderr and "(запуски: BASE)" in result.stderr


def test_a_settings_check_is_told_in_russian(tmp_path):
    program = tmp_path / "p.py"
    program.write_text("print(1)\n")
    result = codeforge("--lang", "ru", "sandbox", "run", str(program), "--stdin", "a", "--stdin-file", str(program))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "ошибка: укажите --stdin или --stdin-file, но не оба"


def test_a_config_file_value_is_told_in_russian_with_the_value_as_it_is(tmp_path):
    config = tmp_path / "bench.yaml"
    config.write_text("samples: many\n")
    result = codeforge("--lang", "ru", "bench", "humaneval", "--config", str(config), "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2
    assert result.stderr.replace("\n", "").endswith(f"{config}: samples принимает целое число, а не 'many'")


@pytest.mark.parametrize("args, russian, english", [
    (("bench", "run", "humaneval", "--samples", "x"),
     "ошибка: Недопустимое значение '--samples' / '-n': нужно целое число",
     "error: Invalid value for '--samples' / '-n': Input should be a valid integer"),
    (("bench", "run", "humaneval", "--temperature", "-1"),
     "ошибка: Недопустимое значение '--temperature': значение должно быть не меньше 0",
     "error: Invalid value for '--temperature': Input should be greater than or equal to 0"),
    (("bench", "run", "humaneval", "--backend", "nope"),
     "ошибка: Недопустимое значение '--backend': 'nope' — не одно из значений 'hf', 'openai'",
     "error: Invalid value for '--backend': 'nope' is not one of 'hf', 'openai'"),
    (("bench", "run", "humaneval", "--no-chain"),
     "ошибка: Нет такого параметра: --no-chain (возможные параметры: --chain)",
     "error: No such option: --no-chain (Possible options: --chain)"),
    (("sandbox", "exec", "a", "b"), "ошибка: Лишние аргументы (a b)", "error: Got unexpected extra argument(s) (a b)"),
    (("benc",), "Возможно, имелось в виду 'bench'?", "Did you mean 'bench'?"),
])
def test_typers_own_error_lines_are_told_in_russian_with_what_was_typed(args, russian, english):
    said = codeforge("--lang", "ru", *args)
    assert said.returncode == 2 and said.stderr.count("\n") == 1, said.stderr
    assert russian in said.stderr and "(см. " in said.stderr
    assert english in codeforge(*args).stderr


@pytest.mark.parametrize("args", [("bench", "list", "--json"), ("bench", "show", "BASE", "--json")])
def test_json_output_is_the_same_in_both_languages(tmp_path, args):
    db = stored_run(tmp_path / "codeforge.db")
    english = codeforge(*args, "--db", str(db))
    russian = codeforge("--lang", "ru", *args, "--db", str(db))
    assert english.returncode == russian.returncode == 0, russian.stderr
    assert english.stdout == russian.stdout and '"BASE"' in english.stdout


def test_graph_json_is_the_same_in_both_languages(tmp_path):
    source = tmp_path / "f.py"
    source.write_text("def f(x):\n    if x:\n        return 1\n    return 2\n")
    english = codeforge("graphs", "show", str(source), "--kind", "pdg", "--format", "json")
    russian = codeforge("graphs", "show", str(source), "--kind", "pdg", "--format", "json", env={"LANG": "ru_RU.UTF-8"})
    assert english.returncode == russian.returncode == 0, russian.stderr
    assert english.stdout == russian.stdout


def test_tables_have_russian_headers_and_the_same_numbers_and_statuses(tmp_path):
    db = stored_run(tmp_path / "codeforge.db")
    english = codeforge("bench", "show", "BASE", "--db", str(db))
    russian = codeforge("--lang", "ru", "bench", "show", "BASE", "--db", str(db))
    assert english.returncode == russian.returncode == 0, russian.stderr
    assert "раунд" in russian.stdout and "выборки" in russian.stdout and "последний статус" in russian.stdout
    assert "passed" in russian.stdout and "failed" in russian.stdout  # statuses are values, never translated
    numbers = re.compile(r"\d+(?:[./]\d+)?%?")
    assert numbers.findall(russian.stdout) == numbers.findall(english.stdout)


def test_a_report_is_russian_on_the_terminal_and_the_page_and_its_json_is_the_same(tmp_path):
    db = stored_run(tmp_path / "codeforge.db")
    said = {}
    for language in ("en", "ru"):
        out = tmp_path / language
        said[language] = codeforge("--lang", language, "report", "--db", str(db), "--out", str(out), "--html")
        assert said[language].returncode == 0, said[language].stderr
    assert "решено" in said["ru"].stdout and "метод" in said["ru"].stdout and "solved" not in said["ru"].stdout
    numbers = re.compile(r"\d+(?:[./]\d+)?%?")
    assert numbers.findall(said["ru"].stdout.replace(str(tmp_path), "")) == \
        numbers.findall(said["en"].stdout.replace(str(tmp_path), ""))
    page = (tmp_path / "ru" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="ru">' in page and "<h2>Определения</h2>" in page
    assert (tmp_path / "ru" / "report.json").read_text() == (tmp_path / "en" / "report.json").read_text()


@pytest.mark.parametrize("setup, args, russian", [
    (None, ("bench", "humaneval", "--model", "reference", "--tasks", "HumanEval/999"),
     "в humaneval нет задачи 'HumanEval/999'"),  # a dataset's error
    ("garbage\n", ("bench", "list"), "не является хранилищем результатов codeforge"),  # the store's
    (None, ("repair", "missing.py"), "missing.py: нет такого файла. Укажите файлы программ"),  # repair's
])
def test_errors_from_inside_the_library_are_told_in_russian(tmp_path, setup, args, russian):
    db = tmp_path / "codeforge.db"
    if setup:
        db.write_text(setup)
    said = codeforge("--lang", "ru", *args, "--db", str(db))
    assert said.returncode == 2 and "Traceback" not in said.stderr, said.stderr
    assert said.stderr.startswith("ошибка: ") and russian in said.stderr.replace("\n", " ")


def test_a_bad_job_file_is_told_in_russian_with_pydantics_reasons_too(tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"id": 1}\nnot json\n')
    said = codeforge("--lang", "ru", "sandbox", "exec", "--jobs", str(jobs), "--out", str(tmp_path / "r.jsonl"))
    assert said.returncode == 2, said.stderr
    assert "2 ошибочные строки, ничего не запущено" in said.stderr
    assert "строка 1: id: нужна строка; language: поле обязательно" in said.stderr


def test_a_said_message_is_shown_in_the_chosen_language_and_keeps_its_english():
    chosen = i18n.language()
    try:
        i18n.select("ru")
        inner = RuntimeError(i18n.said("the tests could not run: {why}", why="no engine"))
        outer = i18n.said("{program}: {error}", program="a.py", error=inner)
        assert str(inner) == "тесты не удалось запустить: no engine" and outer == f"a.py: {inner}"
        assert i18n.english(outer) == "a.py: the tests could not run: no engine"
        assert i18n.english(inner) == "the tests could not run: no engine"
        assert i18n.english(OSError(2, "No such file")) == "[Errno 2] No such file"  # other errors as they are
        assert i18n.message_of(inner) is inner.args[0]
    finally:
        i18n.select(chosen)


def test_what_json_carries_stays_english_when_the_error_line_is_russian(tmp_path):
    doctor = codeforge("--lang", "ru", "sandbox", "doctor", "--docker-host", "tcp://127.0.0.1:1", "--json")
    assert doctor.returncode == 2 and "не отвечает" in doctor.stderr
    assert json.loads(doctor.stdout)["error"].startswith("The Docker engine at tcp://127.0.0.1:1 does not answer")
    data = tmp_path / "tasks.jsonl"
    data.write_text("".join(json.dumps({"task_id": task, "prompt": "def f(a):\n", "canonical_solution": body,
                                        "test": "", "entry_point": "f"}) + "\n"
                            for task, body in (("t1", "    return (a +\n"), ("t2", "    return a\n"))))
    built = codeforge("--lang", "ru", "graphs", "build", "-d", f"jsonl:{data}", "-o", str(tmp_path / "o.jsonl"),
                      "--json")
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout)["skipped"] == [
        {"task_id": "t1", "reason": "python: syntax error at line 2, column 5: 'return (a +'"}]


def test_the_commands_consoles_print_names_like_run_a_as_they_are(capsys):
    from codeforge.commands._output import console

    console().print("run:A: 2 pairs; :smile: :thumbs_up:", markup=False, highlight=False)  # as finetune prints sources
    assert capsys.readouterr().out == "run:A: 2 pairs; :smile: :thumbs_up:\n"
