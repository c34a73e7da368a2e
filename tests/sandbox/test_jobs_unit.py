"""The job contract and the jobs file, without Docker."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from codeforge.sandbox import Action, Job, Result, Status
from codeforge.sandbox.jobfile import JobFileError, ResultWriter, finished_ids, read_jobs


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


def test_results_resume_and_a_torn_last_line_is_cut(tmp_path):
    out = tmp_path / "results.jsonl"
    writer = ResultWriter(out)
    writer.write(Result(id="a", status=Status.passed))
    writer.write(Result(id="b", status=Status.failed))
    writer.close()
    with out.open("a") as handle:
        handle.write('{"id": "c", "status": "pas')  # killed mid-line
    assert finished_ids(out) == {"a", "b"}
    assert out.read_text().count("\n") == 2 and out.read_text().endswith("}\n")
    writer = ResultWriter(out)
    writer.write(Result(id="c", status=Status.timeout))
    writer.close()
    assert finished_ids(out) == {"a", "b", "c"}
    assert finished_ids(tmp_path / "absent.jsonl") == set()
