"""The job contract and the jobs file, without Docker."""

from __future__ import annotations

import json
import os

import pytest
from pydantic import ValidationError

from codeforge.sandbox import Action, Job, Result, Status
from codeforge.sandbox.jobfile import JobFileError, ResultWriter, check_out_path, finished_ids, read_jobs, \
    resume_scan, scan_results


def test_defaults_per_language():
    assert Job(id="a", language="python", source="").action is Action.run
    assert Job(id="a", language="go", files={"x_test.go": ""}).action is Action.test
    assert Job(id="a", language="c", source="").action is Action.memcheck
    job = Job(id="a", language="cpp", source="")
    assert (job.action, job.timeout_s, job.memory_mb) == (Action.memcheck, 10.0, 512)


@pytest.mark.parametrize("fields, message", [
    ({"language": "python"}, "exactly one of"),
    ({"language": "python", "source": "x", "files": {"a.py": ""}}, "exactly one of"),
    ({"language": "python", "files": {"../escape.py": ""}, "action": "test"}, "stay inside"),
    ({"language": "python", "files": {"/abs.py": ""}, "action": "test"}, "stay inside"),
    ({"language": "python", "files": {".codeforge/x": ""}, "action": "test"}, "stay inside"),
    ({"language": "python", "files": {"lib.py": ""}}, "needs a `main.py`"),
    ({"language": "python", "source": "", "action": "memcheck"}, "does not apply to python"),
    ({"language": "go", "source": "", "action": "memcheck"}, "does not apply to go"),
    ({"language": "c", "source": "", "action": "test"}, "does not apply to c"),
    ({"language": "rust", "source": ""}, "language"),
    ({"language": "python", "source": "", "timeout_s": 0}, "greater than 0"),
    ({"language": "python", "source": "", "unknown": 1}, "Extra inputs"),
])
def test_invalid_jobs_are_refused_with_a_reason(fields, message):
    with pytest.raises(ValidationError, match=message):
        Job(id="bad", **fields)


def test_result_round_trips_as_json():
    result = Result(id="x", status=Status.memory_error, exit_code=0, details={"memory_errors": []})
    again = Result.model_validate_json(result.to_json())
    assert again == result and again.status is Status.memory_error and not again.passed


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_malformed_jobs_file_names_every_bad_line(tmp_path):
    good = json.dumps({"id": "1", "language": "python", "source": "print(1)"})
    path = write_lines(tmp_path / "jobs.jsonl", [
        good,
        "{not json",
        json.dumps({"id": "2", "language": "cobol", "source": ""}),
        "",
        json.dumps({"id": "1", "language": "python", "source": ""}),
        json.dumps({"language": "python", "source": ""}),
    ])
    with pytest.raises(JobFileError) as caught:
        read_jobs(path)
    message = str(caught.value)
    assert "4 bad line(s), nothing was run" in message
    assert "line 2: not valid JSON" in message
    assert "line 3: language" in message
    assert "line 5: id '1' already used on line 1" in message
    assert "line 6: id: Field required" in message


def test_empty_or_missing_jobs_file(tmp_path):
    with pytest.raises(JobFileError, match="no such file"):
        read_jobs(tmp_path / "absent.jsonl")
    with pytest.raises(JobFileError, match="no jobs"):
        read_jobs(write_lines(tmp_path / "empty.jsonl", [""]))
    (tmp_path / "binary.jsonl").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(JobFileError, match="not UTF-8"):
        read_jobs(tmp_path / "binary.jsonl")


def write_results(path, *ids):
    writer = ResultWriter(path)
    for result_id in ids:
        writer.write(Result(id=result_id, status=Status.passed))
    writer.close()
    return path


def test_reading_results_changes_nothing_and_the_writer_cuts_only_a_torn_last_line(tmp_path):
    out = write_results(tmp_path / "results.jsonl", "a", "b")
    with out.open("a") as handle:
        handle.write('{"id": "c", "status": "pas')  # killed mid-line
    before = out.read_bytes()
    assert finished_ids(out) == {"a", "b"}
    assert out.read_bytes() == before  # only reads
    writer = ResultWriter(out)
    assert writer.cut_bytes == len('{"id": "c", "status": "pas')
    writer.write(Result(id="c", status=Status.timeout))
    writer.close()
    assert out.read_text().count("\n") == 3 and finished_ids(out) == {"a", "b", "c"}
    assert finished_ids(tmp_path / "absent.jsonl") == set()


def test_a_bad_middle_line_is_reported_with_its_number_and_every_later_result_kept(tmp_path, caplog):
    out = write_results(tmp_path / "results.jsonl", "a")
    with out.open("a") as handle:
        handle.write('{"id": "lost", "stat\n')  # a damaged line in the middle
    write_results(out, "b", "c")
    before = out.read_bytes()
    with caplog.at_level("WARNING"):
        assert finished_ids(out) == {"a", "b", "c"}
    assert "line 2 is not valid JSON" in caplog.text
    assert out.read_bytes() == before
    scan = scan_results(out)
    assert (scan.results, scan.bad_lines, scan.torn_tail) == (3, [(2, "not valid JSON")], False)
    writer = ResultWriter(out)  # appending keeps the damaged line and everything after it
    assert writer.cut_bytes == 0
    writer.write(Result(id="lost", status=Status.passed))
    writer.close()
    assert out.read_bytes().startswith(before) and finished_ids(out) == {"a", "b", "c", "lost"}


def test_a_whole_result_without_its_newline_is_kept(tmp_path):
    out = tmp_path / "results.jsonl"
    out.write_text(Result(id="a", status=Status.passed).to_json())  # e.g. saved by an editor
    assert finished_ids(out) == {"a"}
    writer = ResultWriter(out)
    writer.write(Result(id="b", status=Status.failed))
    writer.close()
    assert finished_ids(out) == {"a", "b"} and out.read_text().count("\n") == 2


def test_only_a_results_file_is_resumed_from(tmp_path):
    precious = tmp_path / "notes.jsonl"
    precious.write_text("my notes\n")
    with pytest.raises(JobFileError, match="is not a results file .*line 1 is not valid JSON.*--overwrite"):
        resume_scan(precious, overwrite=False)
    jobs = tmp_path / "other-jobs.jsonl"
    jobs.write_text(json.dumps({"id": "1", "language": "python", "source": "print(1)"}) + "\n")
    with pytest.raises(JobFileError, match="line 1 is not a result \\(status: Field required\\)"):
        resume_scan(jobs, overwrite=False)
    assert resume_scan(precious, overwrite=True).ids == set()
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert resume_scan(empty, overwrite=False).is_results_file
    assert precious.read_text() == "my notes\n"


def test_out_may_not_be_the_jobs_file_nor_a_directory(tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("{}\n")
    (tmp_path / "link.jsonl").symlink_to(jobs)
    os.link(jobs, tmp_path / "hard.jsonl")
    for out in (jobs, tmp_path / "link.jsonl", tmp_path / "hard.jsonl", tmp_path / "." / "jobs.jsonl"):
        with pytest.raises(JobFileError, match="is the jobs file"):
            check_out_path(jobs, out)
    with pytest.raises(JobFileError, match="is a directory"):
        check_out_path(jobs, tmp_path)
    check_out_path(jobs, tmp_path / "results.jsonl")  # not there yet: fine
