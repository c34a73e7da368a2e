"""The explorer's pages, called in-process (FastAPI's TestClient) on a real store: what each page shows, that
stored text is escaped, and the pages for a run that is gone or a store that cannot be read."""

from __future__ import annotations

import html
import re

from serve_store import CHAIN, HUMANEVAL, RESEARCH, SCRIPT, error, feedback, research_pass_rounds, run_id

from codeforge.report.data import select_methods
from codeforge.report.stats import compare
from codeforge.store import Store


def text(page: str) -> str:
    """The page's visible text, tags dropped, entities read, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_runs_page_lists_every_run_with_its_kind_marks_and_pass_at_1_per_round(client, served_store):
    found = client.get("/?page=1")
    assert found.status_code == 200
    page = client.get("/?sort=name").text + client.get("/?sort=name&page=2").text
    shown = text(page)
    assert "13 runs, page 1 of 2" in text(found.text)  # page size 10 in these tests
    for name in RESEARCH:
        assert f">{name}</a>" in page
    # PDG_CHAIN_FEEDBACK: oracle mark, and its final pass@1 is RESEARCH's count of 164 tasks
    row = re.search(r">PDG_CHAIN_FEEDBACK</a>.*?</tr>", page, re.S).group(0)
    assert "†" in row and f"r{CHAIN} p@1 {100 * RESEARCH['PDG_CHAIN_FEEDBACK'] / 164:.1f}" in text(row)
    assert "r0 EFR 25.0 p@1 75.0" in text(re.search(r">FIX</a>.*?</tr>", page, re.S).group(0))
    assert "repair" in shown  # the repair run's kind
    assert "CUR-round-1 bench · curriculum CUR, round 1 of 2 mbpp-curriculum" in shown
    tuned = text(re.search(r">TUNED</a>.*?</tr>", page, re.S).group(0))
    assert "TUNED ☣ bench mbpp" in tuned and "adapters/pdg-lora (graph pdg (text);" in tuned
    trained = text(re.search(r"Fine-tuning runs.*?</table>", page, re.S).group(0))
    assert "pdg-lora ☣ sft Qwen/Qwen2.5-Coder-0.5B-Instruct adapters/pdg-lora graph pdg (text); 2 contaminated rows " \
           "dropped; CONTAMINATED JSON" in trained
    assert "ast-lora Qwen/Qwen2.5-Coder-0.5B-Instruct adapters/ast-lora ○" in trained  # not trained yet


def test_the_runs_page_filters_and_sorts_in_the_store(client):
    page = client.get("/?q=pdg&sort=name&desc=true").text
    names = re.findall(r'<a href="/runs/\d+">([^<]+)</a>', page)
    assert names == ["TUNED", "PDG_CHAIN_FEEDBACK", "PDG_CHAIN", "PDG"]  # TUNED: its adapter is pdg-lora
    assert re.findall(r'<a href="/runs/\d+">([^<]+)</a>', client.get("/?kind=repair").text) == ["FIX"]
    best = re.findall(r'<a href="/runs/\d+">([^<]+)</a>', client.get("/?q=humaneval&sort=pass@1&desc=true").text)
    assert [name for name in best if name in RESEARCH] == sorted(RESEARCH, key=RESEARCH.get, reverse=True)


def test_htmx_asks_for_the_runs_table_alone(client):
    fragment = client.get("/?page=2", headers={"HX-Request": "true", "HX-Target": "runs"}).text
    assert "<html" not in fragment and 'id="runs-table"' in fragment and "page 2 of 2" in fragment


def test_a_run_page_has_its_rounds_tasks_and_the_heatmap_with_every_cell_a_link(client, served_store):
    base_chain = run_id(served_store, "BASE_CHAIN")
    page = client.get(f"/runs/{base_chain}").text
    assert f"{RESEARCH['BASE_CHAIN']}/164" in text(page)  # solved after the last round
    assert "164 tasks, page 1 of 17" in text(page)
    assert client.get(f"/runs/{base_chain}/tasks?page=17").text.count("/tasks/HumanEval%2F") == 0  # kept as a path
    assert 'href="/runs/%d/tasks/HumanEval/163"' % base_chain in client.get(f"/runs/{base_chain}/tasks?page=17").text
    heatmap = client.get(f"/runs/{base_chain}/heatmap").text
    with Store.open(served_store) as store:
        methods = select_methods(store, dataset="humaneval").methods
    links = re.findall(r'<td class="(pass|fail)"><a href="/runs/(\d+)/tasks/([^"]+)"', heatmap)
    assert len(links) == len(RESEARCH) * 164
    solved = {(str(m.run.id), t): s for m in methods for t, s in m.solved_by_task().items()}
    assert all((kind == "pass") == solved[(run, task)] for kind, run, task in links)


def test_a_task_page_shows_every_round_with_its_program_error_feedback_and_diff(client, served_store):
    rounds = research_pass_rounds()["BASE_CHAIN"]
    task = next(t for t in HUMANEVAL if rounds[t] == 2)
    page = client.get(f"/runs/{run_id(served_store, 'BASE_CHAIN')}/tasks/{task}").text
    shown = text(page)
    for r in range(3):
        assert f"BASE_CHAIN {task} round {r}" in shown  # the program (highlighted: split in spans)
    assert error(0) in shown and error(1) in shown and error(2) not in shown  # round 2 passed
    assert feedback(1) in shown and feedback(2) in shown
    assert "- return 0 + # BASE_CHAIN" in shown and "+ return 1" in shown  # the diff from the round before
    assert re.findall(r'<h3>Round \d+ <span class="status (\w+)"', page) == ["failed", "failed", "passed"]


def test_program_text_and_names_from_the_store_are_escaped(client, served_store):
    xss = run_id(served_store, f"XSS{SCRIPT}")
    for url in (f"/runs/{xss}/tasks/Mbpp/1", f"/runs/{xss}", "/?q=xss", f"/compare?a={xss}&b={xss}"):
        page = client.get(url).text
        assert SCRIPT not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page or "&lt;/script&gt;" in page, url
    assert f"print('{SCRIPT}')" in text(client.get(f"/runs/{xss}/tasks/Mbpp/1").text)


def test_the_compare_page_splits_the_tasks_as_the_report_does(client, served_store):
    a, b = run_id(served_store, "PDG_CHAIN"), run_id(served_store, "PDG_CHAIN_FEEDBACK")
    page = client.get(f"/compare?a={a}&b={b}").text
    with Store.open(served_store) as store:
        methods = {m.name: m for m in select_methods(store, dataset="humaneval").methods}
    expected = compare(methods["PDG_CHAIN"], methods["PDG_CHAIN_FEEDBACK"])
    row = text(re.search(r'<table class="grid" id="mcnemar">.*?</table>', page, re.S).group(0))
    assert f"164 {expected.only_a} {expected.only_b} {expected.both} {expected.neither} {expected.p_value:.3g}" in row
    solved_a, solved_b = methods["PDG_CHAIN"].solved_by_task(), methods["PDG_CHAIN_FEEDBACK"].solved_by_task()
    only_b = re.search(r'<ul class="tasks" id="only_b">(.*?)</ul>', page, re.S).group(1)
    assert re.findall(r">(HumanEval/\d+)</a>", only_b) == [t for t in HUMANEVAL if solved_b[t] and not solved_a[t]]
    task = re.findall(r'href="(/compare/task/[^"]+)"', only_b)[0]
    both = client.get(html.unescape(task)).text
    assert "PDG_CHAIN " in text(both) and '<pre class="diff">' in both


def test_a_run_that_is_gone_gets_a_404_page_that_leads_back_to_the_runs(client, served_store):
    for url in ("/runs/99999", "/runs/99999/tasks/HumanEval/0", "/runs/99999/heatmap", "/compare?a=99999&b=1"):
        found = client.get(url)
        assert found.status_code == 404, url
        assert "Run 99999 is not in the store" in text(found.text) and 'href="/"' in found.text
    fragment = client.get("/runs/99999/tasks", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and "not in the store" in fragment
    found = client.get(f"/runs/{run_id(served_store, 'BASE')}/tasks/HumanEval/999")
    assert found.status_code == 404 and "BASE has no task HumanEval/999 in the store" in text(found.text)


def test_a_run_deleted_while_its_page_is_open_is_gone_on_the_next_request(tmp_path):
    from fastapi.testclient import TestClient

    from codeforge.serve.app import create_app

    from serve_store import add_round, make_run  # noqa: I001

    path = tmp_path / "codeforge.db"
    with Store.open(path) as store:
        run = make_run(store, "BASE", tasks=["T/0"])
        add_round(store, run, "T/0", 0, True)
    client = TestClient(create_app(path))
    assert client.get(f"/runs/{run.id}").status_code == 200
    with Store.open(path) as store:
        store.delete_run(run.id)
    assert client.get(f"/runs/{run.id}/tasks?page=1").status_code == 404


def test_a_store_of_another_schema_version_gets_a_page_that_says_so(tmp_path):
    import sqlite3

    from fastapi.testclient import TestClient

    from codeforge.serve.app import create_app

    path = tmp_path / "codeforge.db"
    Store.open(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value='7' WHERE key='schema_version'")
    found = TestClient(create_app(path)).get("/")
    assert found.status_code == 503
    assert "schema 7" in text(found.text) and "Traceback" not in found.text


def test_page_strings_go_through_the_installed_translations(client):
    from codeforge.serve.pages import environment

    class Loud:
        def gettext(self, message):
            return message.upper()

        def ngettext(self, singular, plural, n):
            return (singular if n == 1 else plural).upper()

    env = environment()
    env.install_gettext_translations(Loud(), newstyle=True)
    try:
        page = client.get("/compare").text
    finally:
        env.install_null_translations(newstyle=True)
    assert "<h1>COMPARE TWO RUNS</h1>" in page and ">RUNS</a>" in page


def test_an_address_that_names_no_run_gets_the_not_found_page_not_a_validation_error(client):
    for url in ("/runs/abc", "/runs/1/tasks?page=x", "/compare?a=x&b=1", "/no/such/page"):
        found = client.get(url)
        assert found.status_code == 404, url
        assert "Not found" in found.text and "detail" not in found.text and 'href="/"' in found.text, url


def test_runs_that_share_no_task_are_not_compared(client, served_store):
    a, b = run_id(served_store, "BASE"), run_id(served_store, f"XSS{SCRIPT}")
    shown = text(client.get(f"/compare?a={a}&b={b}").text)
    assert f"BASE and XSS{SCRIPT} share no task: there is nothing to compare." in shown


def test_no_page_loads_anything_from_outside(client, served_store):
    base_chain = run_id(served_store, "BASE_CHAIN")
    for url in ("/", f"/runs/{base_chain}", f"/runs/{base_chain}/heatmap", f"/runs/{base_chain}/tasks/HumanEval/3",
                "/compare", f"/compare?a=1&b={base_chain}", f"/compare/task/HumanEval/3?a=1&b={base_chain}",
                "/static/style.css"):
        page = client.get(url).text
        found = re.findall(r"""(?:src|href|action|hx-get)\s*=\s*["']?([^"'\s>]+)|url\(([^)]*)\)|(@import)""", page)
        outside = [link for groups in found for link in groups if link and not link.startswith(("/", "#", "?"))]
        assert outside == [], url


def test_metrics_and_text_runs_are_shown_with_their_values_and_without_pass_at_k(tmp_path):
    from fastapi.testclient import TestClient

    from codeforge.serve.app import create_app

    from serve_store import add_round, make_run  # noqa: I001

    path = tmp_path / "codeforge.db"
    with Store.open(path) as store:
        coded = make_run(store, "CODED", tasks=["T/0", "T/1", "T/2"])
        for task, passed, bleu in (("T/0", True, 0.9), ("T/1", False, 0.3), ("T/2", True, 0.7)):
            add_round(store, coded, task, 0, passed)
            store.add_similarity(store.samples(coded.id, task)[0].id, "bleu", bleu, "sacrebleu test")
        prose = make_run(store, "PROSE", dataset="jsonl:text.jsonl", tasks=["S/0"], labels={"answers": "text"})
        store.add_sample(prose.id, "S/0", 0, 0, prompt="{}", raw_output="A cat sat.", code="A cat <b>sat</b>.",
                         finish_reason="stop", prompt_tokens=3, completion_tokens=4, gen_seconds=0.1)
        store.add_similarity(store.samples(prose.id)[0].id, "chrf", 0.625, "sacrebleu test")
        store.finish_run(prose.id)
    client = TestClient(create_app(path))
    shown = text(client.get(f"/runs/{coded.id}").text)
    assert "bleu 0.633 [" in shown and "3 0 +0.9" in shown  # mean, samples, skipped, r with passing
    assert "T/1 0.300 0/1" in shown
    assert "bleu 0.300" in text(client.get(f"/runs/{coded.id}/tasks/T/1").text)
    page = client.get(f"/runs/{prose.id}").text
    shown = text(page)
    assert "pass@" not in shown and "passed samples" not in shown and "heatmap" not in page
    assert "chrf 0.625 [0.625, 0.625] 1 0 -" in shown and "S/0 0.625 1/1" in shown
    answer = client.get(f"/runs/{prose.id}/tasks/S/0").text
    assert "A cat &lt;b&gt;sat&lt;/b&gt;." in answer and "Answer" in answer and "unchecked" not in answer
    assert "chrf 62.5" in text(client.get("/").text)  # the runs page shows a text run's metrics
