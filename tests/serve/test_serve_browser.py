"""`codeforge serve` in a real browser: the command started as a user starts it (with a token, so every page
below is reached through the cookie its address sets), headless Chromium driven by Debian's chromedriver.

Screenshots of the pages go to $CODEFORGE_SCREENSHOTS when set (docs/ has some), else to a temporary folder."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import need
from serve_store import HUMANEVAL, SCRIPT, error, feedback, research_pass_rounds, run_id

from codeforge.report.data import select_methods
from codeforge.serve.access import COOKIE
from codeforge.store import Store

TOKEN = "browser-test-token"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = pytest.mark.slow


def _browser_or_skip() -> str:
    chromium = shutil.which("chromium")
    driver = CHROMEDRIVER if os.path.exists(CHROMEDRIVER) else shutil.which("chromedriver")
    if chromium and driver:
        return driver
    reason = "no chromium or chromedriver (scripts/ensure-chromium.sh installs Debian's chromium and chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(store: Path, *options: str, serve_options: tuple[str, ...] = ()):
    """`codeforge [OPTIONS] serve [SERVE_OPTIONS]` on `store` with the test's token, as a user starts it; its
    address."""
    need("uvicorn", "the serve extra")
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "codeforge", *options, "serve", "--db", str(store), "--port",
                                str(port), "--token", TOKEN, *serve_options], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/static/style.css", timeout=2)
        except urllib.error.HTTPError:
            break  # it answers (401: no token)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"codeforge serve did not start: {process.communicate()[0][-2000:]}")
            time.sleep(0.2)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(served_store):
    with serving(served_store) as base:
        yield base


@pytest.fixture(scope="module")
def browser(server):
    driver_path = _browser_or_skip()
    need("selenium", "the browser tests drive Chromium with it")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(10)
    driver.get(f"{server}/?token={TOKEN}")  # sets the cookie every later page is reached with
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 60).until(lambda d: d.get_cookie(COOKIE) is not None)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("CODEFORGE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_clicking_a_heatmap_cell_opens_that_task_with_its_program_error_and_feedback_per_round(
        browser, server, served_store, shots):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    rounds = research_pass_rounds()["BASE_CHAIN"]
    task = next(t for t in HUMANEVAL if rounds[t] == 2)
    browser.get(f"{server}/")
    found = browser.find_elements(By.CSS_SELECTOR, "#runs-table")
    assert found and found[0].is_displayed(), browser.page_source[-3000:]
    browser.save_screenshot(str(shots / "serve-runs.png"))
    browser.get(f"{server}/runs/{run_id(served_store, 'BASE')}")
    browser.find_element(By.CSS_SELECTOR, "#tasks nav.pages a").click()  # htmx swaps in the next page of tasks
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: "page 2 of 4" in b.find_element(By.CSS_SELECTOR, "#tasks .count").text)
    assert browser.find_element(By.CSS_SELECTOR, "#tasks-table tbody a").text == "HumanEval/50"
    cell = browser.find_element(By.CSS_SELECTOR, f'#heatmap-table a[data-run="BASE_CHAIN"][data-task="{task}"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    browser.save_screenshot(str(shots / "serve-run.png"))
    cell.click()
    assert browser.current_url == f"{server}/runs/{run_id(served_store, 'BASE_CHAIN')}/tasks/{task}"
    assert browser.find_element(By.ID, "task-id").text == task
    for r in range(3):
        section = browser.find_element(By.ID, f"sample-0-round-{r}").text
        assert f"# BASE_CHAIN {task} round {r}" in section  # the program
        assert (error(r) in section) == (r < 2)  # rounds 0 and 1 failed, and say why
        assert (feedback(r) in section) == (r > 0)  # the feedback each later round was sent
    browser.save_screenshot(str(shots / "serve-task.png"))


def test_a_compare_page_shows_the_discordant_tasks(browser, server, served_store, shots):
    from selenium.webdriver.common.by import By

    with Store.open(served_store) as store:
        methods = {m.name: m for m in select_methods(store, dataset="humaneval").methods}
    a, b = methods["BASE"].solved_by_task(), methods["PDG_CHAIN"].solved_by_task()
    browser.get(f"{server}/compare?a={run_id(served_store, 'BASE')}&b={run_id(served_store, 'PDG_CHAIN')}")
    shown = {group: browser.execute_script(  # one round trip for the whole list, not one per task
        "return [...document.querySelectorAll(`ul#${arguments[0]} li`)].map(li => li.innerText)", group)
        for group in ("only_a", "only_b")}
    assert shown["only_a"] == [t for t in HUMANEVAL if a[t] and not b[t]]
    assert shown["only_b"] == [t for t in HUMANEVAL if b[t] and not a[t]] and shown["only_b"]
    browser.save_screenshot(str(shots / "serve-compare.png"))
    browser.find_element(By.CSS_SELECTOR, "ul#only_b li a").click()
    sides = browser.find_elements(By.CSS_SELECTOR, ".side h2")
    assert [s.text for s in sides] == ["BASE", "PDG_CHAIN"]
    assert browser.find_element(By.CSS_SELECTOR, "pre.diff").text.startswith("--- BASE")


def test_a_program_holding_a_script_shows_as_text_and_runs_nothing(browser, server, served_store):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    browser.get(f"{server}/runs/{run_id(served_store, f'XSS{SCRIPT}')}/tasks/Mbpp/1")
    assert f"print('{SCRIPT}')" in browser.find_element(By.ID, "sample-0-round-0").text
    assert SCRIPT in browser.find_element(By.TAG_NAME, "h1").text  # the run's name too
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text


def test_with_a_token_a_request_without_it_gets_401(browser, server):
    from selenium.webdriver.common.by import By

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{server}/")
    assert refused.value.code == 401
    browser.delete_all_cookies()
    try:
        browser.get(f"{server}/")
        assert browser.find_element(By.TAG_NAME, "h1").text == "401"
    finally:
        browser.get(f"{server}/?token={TOKEN}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Runs"


def test_the_russian_pages_show_russian_labels_and_the_same_numbers(browser, server, served_store, shots):
    from selenium.webdriver.common.by import By

    page = f"/runs/{run_id(served_store, 'BASE_CHAIN')}"
    shown = {}
    with serving(served_store, "--lang", "ru") as russian:
        for language, base in (("en", server), ("ru", russian)):
            browser.get(f"{base}/?token={TOKEN}")
            browser.get(base + page)
            shown[language] = (browser.find_element(By.TAG_NAME, "main").text,
                               browser.find_element(By.ID, "rounds").text)
            browser.save_screenshot(str(shots / f"serve-run-{language}.png"))  # each language's page, kept
    (english, english_rounds), (russian_text, russian_rounds) = shown["en"], shown["ru"]
    assert "Rounds" in english and "Раунды" in russian_text and "Rounds" not in russian_text
    assert "Задачи по методам" in russian_text and "выборок на задачу" in russian_text
    numbers = lambda text: re.findall(r"\d+(?:\.\d+)?", text)  # noqa: E731
    assert numbers(russian_rounds) == numbers(english_rounds) and numbers(english_rounds)


@pytest.mark.docker
def test_a_run_started_from_the_form_shows_its_progress_and_ends_five_of_five(browser, tmp_path, docker_client):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    store = tmp_path / "codeforge.db"
    Store.open(store).close()
    with serving(store, serve_options=("--allow-runs",)) as base:
        browser.get(f"{base}/?token={TOKEN}")
        browser.find_element(By.ID, "start-run").click()
        for name, value in (("dataset", "humaneval"), ("model", "reference"), ("limit", "5")):
            field = browser.find_element(By.ID, f"f-{name}")
            field.clear()
            field.send_keys(value)
        browser.find_element(By.ID, "start").click()
        WebDriverWait(browser, 240).until(lambda b: b.find_element(By.ID, "state").text != "running")
        assert browser.find_element(By.ID, "state").text == "finished"
        assert browser.find_element(By.ID, "checked").text == "5/5"
        assert browser.find_element(By.ID, "passed").text == "5"
        assert '"kind":"executed"' in browser.find_element(By.ID, "events").text  # progress came as it happened
        browser.find_element(By.ID, "run-link").click()
        assert "100.0 [56.6, 100.0] Wilson" in browser.find_element(By.ID, "rounds").text  # pass@1 of 5 tasks


@pytest.mark.docker
def test_the_playground_shows_a_wrong_answer_its_feedback_and_the_right_one(browser, tmp_path, docker_client,
                                                                            monkeypatch):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from scripted_server import ScriptedServer
    from test_bench_cli import wrong_then_right

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    store = tmp_path / "codeforge.db"
    Store.open(store).close()
    with ScriptedServer(wrong_then_right) as model, serving(store, serve_options=("--allow-runs",)) as base:
        browser.get(f"{base}/?token={TOKEN}")
        browser.find_element(By.ID, "playground-link").click()
        for name, value in (("task", "HumanEval/0"), ("model", "scripted"), ("base_url", model.url)):
            field = browser.find_element(By.ID, f"f-{name}")
            field.clear()
            field.send_keys(value)
        Select(browser.find_element(By.ID, "f-backend")).select_by_value("openai")
        browser.find_element(By.ID, "try").click()
        WebDriverWait(browser, 240).until(lambda b: b.find_element(By.ID, "state").text != "running")
        assert browser.find_element(By.ID, "state").text == "finished"
        WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.ID, "sample-0-round-1"))
        wrong = browser.find_element(By.ID, "sample-0-round-0").text
        fixed = browser.find_element(By.ID, "sample-0-round-1").text
    assert "failed" in wrong and "return False" in wrong  # the wrong answer, and why it failed
    assert "passed" in fixed and "Feedback sent (visible)" in fixed  # the feedback it was sent, then right
    assert not browser.find_elements(By.ID, "sample-0-round-2")
