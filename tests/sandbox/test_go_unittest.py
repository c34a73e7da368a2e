"""Scoring hand-written Go unit tests of a known function in the real sandbox (`unittest`), and their reward."""

from __future__ import annotations

import pytest

from codeforge.rewards import go_coverage_reward
from codeforge.sandbox import Job, Status

pytestmark = pytest.mark.docker

# Abs has three statements (the if, each return): one branch's test covers two of them.
CALC = """package calc

// Abs is the absolute value of x.
func Abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Distance is how far apart a and b are.
func Distance(a, b int) int {
	return Abs(a - b)
}

// Counter counts up.
type Counter struct{ n int }

// Add adds d (if positive) and says the count.
func (c *Counter) Add(d int) int {
	if d > 0 {
		c.n += d
	}
	return c.n
}
"""
TWO_THIRDS = 2 / 3


def score(sandbox, test: str, function: str = "Abs", timeout_s: float = 30.0):
    result = sandbox.run(Job(id="unit", language="go", action="unittest", files={"calc.go": CALC},
                             tests={"calc_test.go": test}, function=function, timeout_s=timeout_s))
    return result, go_coverage_reward(result.details)


def go_test_file(*bodies: str, imports: tuple[str, ...] = ("testing",)) -> str:
    block = "\n".join(f'\t"{name}"' for name in imports)
    return f"package calc\n\nimport (\n{block}\n)\n\n" + "\n\n".join(bodies) + "\n"


POSITIVE = 'func TestAbsPositive(t *testing.T) {\n\tif Abs(5) != 5 {\n\t\tt.Fatal("Abs(5)")\n\t}\n}'
NEGATIVE = 'func TestAbsNegative(t *testing.T) {\n\tif Abs(-3) != 3 {\n\t\tt.Fatal("Abs(-3)")\n\t}\n}'
WRONG = 'func TestAbsWrong(t *testing.T) {\n\tif Abs(5) != 6 {\n\t\tt.Errorf("Abs(5) = %d", Abs(5))\n\t}\n}'


def test_a_test_that_does_not_build_scores_0_and_keeps_the_compiler_message(sandbox):
    mistyped = 'func TestAbs(t *testing.T) {\n\tif Abs(1) != "1" {\n\t\tt.Fatal()\n\t}\n}'
    result, reward = score(sandbox, go_test_file(mistyped))
    assert result.status is Status.compile_error and reward == 0.0
    assert "mismatched types" in result.stderr or "cannot convert" in result.stderr, result.stderr
    assert not result.details["runnable"]


def test_a_test_that_runs_but_fails_scores_one_half_plus_its_coverage(sandbox):
    result, reward = score(sandbox, go_test_file(WRONG))
    assert result.status is Status.failed and result.details["runnable"] and not result.details["succeeded"]
    assert result.details["tests_failed"] == 1
    assert result.details["function_coverage"] == pytest.approx(TWO_THIRDS, abs=0.001)
    assert reward == pytest.approx(0.5 + 0.2 * TWO_THIRDS, abs=0.001)


def test_a_passing_test_of_one_branch_scores_0_8_plus_its_coverage(sandbox):
    result, reward = score(sandbox, go_test_file(POSITIVE))
    assert result.status is Status.passed and result.details["all_passed"], result.details
    assert result.details["function_coverage"] == pytest.approx(TWO_THIRDS, abs=0.001)
    assert reward == pytest.approx(0.8 + 0.2 * TWO_THIRDS, abs=0.001)


def test_a_test_that_passes_everything_and_covers_the_function_scores_1(sandbox):
    result, reward = score(sandbox, go_test_file(POSITIVE, NEGATIVE))
    assert result.status is Status.passed and reward == 1.0, result.details
    assert result.details["tests_declared"] == result.details["tests_passed"] == 2
    assert result.details["total_coverage"] < 1.0  # Distance and Add are not called: only Abs counts
    assert result.details["vet"]["exit_code"] == 0


def test_a_skipped_test_succeeds_without_the_all_pass_bonus(sandbox):
    skipped = 'func TestLater(t *testing.T) {\n\tt.Skip("later")\n}'
    result, reward = score(sandbox, go_test_file(POSITIVE, NEGATIVE, skipped))
    assert result.details["succeeded"] and not result.details["all_passed"]
    assert reward == pytest.approx(0.75 + 0.2)


def test_a_passing_test_that_never_calls_the_function_is_no_pass(sandbox):
    other = 'func TestDistance(t *testing.T) {\n\tif Distance(1, 1) != 0 {\n\t\tt.Fatal()\n\t}\n}'
    result, reward = score(sandbox, go_test_file(other), function="Counter.Add")
    assert result.details["all_passed"] and result.details["function_coverage"] == 0.0
    assert result.status is Status.failed and "never run Counter.Add" in result.details["error"]
    assert reward == pytest.approx(0.8)


def test_a_method_under_test_is_found_by_its_type(sandbox):
    add = 'func TestAdd(t *testing.T) {\n\tc := &Counter{}\n\tif c.Add(2) != 2 {\n\t\tt.Fatal()\n\t}\n}'
    result, reward = score(sandbox, go_test_file(add), function="Counter.Add")
    assert result.details["function_coverage"] == 1.0 and reward == 1.0, result.details


def test_goimports_repairs_a_missing_and_an_unused_import(sandbox):
    uses_fmt = ('func TestAbsText(t *testing.T) {\n\tif fmt.Sprint(Abs(-2)) != "2" {\n\t\tt.Fatal()\n\t}\n}')
    result, reward = score(sandbox, go_test_file(uses_fmt, POSITIVE, imports=("strings", "testing")))
    assert result.status is Status.passed, (result.stderr, result.details.get("test_source"))
    assert result.details["goimports_changed"] and '"fmt"' in result.details["test_source"]
    assert '"strings"' not in result.details["test_source"] and '+\t"fmt"' in result.details["goimports_diff"]
    assert reward == 1.0


def test_a_test_that_never_returns_times_out_and_scores_0(sandbox):
    forever = 'func TestForever(t *testing.T) {\n\tfor Abs(1) == 1 {\n\t}\n}'
    result, reward = score(sandbox, go_test_file(forever), timeout_s=8)
    assert result.status is Status.timeout and reward == 0.0


@pytest.mark.parametrize("name, body", [
    ("os.Exit(0) inside a test", 'func TestExit(t *testing.T) {\n\tif Abs(5) == 5 {\n\t\tos.Exit(0)\n\t}\n}'),
    ("os.Exit(0) before the tests", 'func init() {\n\tos.Exit(0)\n}\n\n' + NEGATIVE),
    ("os.Exit(0) after a printed PASS", 'func TestExit(t *testing.T) {\n\tAbs(-1)\n\tos.Stdout.WriteString('
                                        '"--- PASS: TestExit (0.00s)\\nPASS\\n")\n\tos.Exit(0)\n}'),
])
def test_a_test_that_exits_0_early_neither_succeeds_nor_counts_coverage(sandbox, name, body):
    result, reward = score(sandbox, go_test_file(POSITIVE, body, imports=("os", "testing")))
    assert result.status is Status.failed and not result.details["succeeded"], (name, result.details)
    assert result.details["runnable"] and result.details["function_coverage"] is None
    assert reward == 0.5, name


def test_a_test_main_that_exits_0_is_not_scored(sandbox):
    main = "func TestMain(m *testing.M) {\n\tos.Exit(0)\n}"
    result, reward = score(sandbox, go_test_file(main, POSITIVE, imports=("os", "testing")))
    assert reward == 0.0 and "TestMain" in result.details["error"]


FAKE_FULL = "mode: set\\njob/calc.go:4.21,5.12 1 1\\njob/calc.go:5.12,7.3 1 1\\njob/calc.go:8.2,8.10 1 1\\n"


def forge(path: str) -> str:
    return (f'func TestForge(t *testing.T) {{\n\tif f, err := os.OpenFile("{path}", os.O_WRONLY, 0); err == nil {{\n'
            f'\t\tf.WriteString("{FAKE_FULL}")\n\t\tf.Close()\n\t}}\n}}')


@pytest.mark.parametrize("name, body", [("writes to /dev/fd/3", forge("/dev/fd/3")),
                                        ("writes to /proc/self/fd/3", forge("/proc/self/fd/3"))])
def test_a_test_that_writes_the_coverage_profile_itself_cannot_raise_its_reward(sandbox, name, body):
    honest, honest_reward = score(sandbox, go_test_file(POSITIVE))
    result, reward = score(sandbox, go_test_file(POSITIVE, body, imports=("os", "testing")))
    assert honest_reward == pytest.approx(0.8 + 0.2 * TWO_THIRDS, abs=0.001)
    assert reward < honest_reward and not result.details["succeeded"], (name, result.details)
    assert result.details["function_coverage"] is None and "not the testing package's own" in result.details["error"]


def test_a_cover_out_file_the_test_writes_is_never_read(sandbox):
    body = (f'func TestForge(t *testing.T) {{\n\tos.WriteFile("cover.out", []byte("{FAKE_FULL}"), 0o644)\n'
            f'\tos.WriteFile("../../../.codeforge/cover.out", []byte("{FAKE_FULL}"), 0o644)\n}}')
    result, reward = score(sandbox, go_test_file(POSITIVE, body, imports=("os", "testing")))
    assert result.details["function_coverage"] == pytest.approx(TWO_THIRDS, abs=0.001), result.details
    assert reward == pytest.approx(0.8 + 0.2 * TWO_THIRDS, abs=0.001)


# What `go test -cover` names the package's counters (GoCover_<n>_<hex of 12 hex digits of sha256("job")>).
COUNTERS = "GoCover_0_356538633939303232303761"
REACHES = {
    "sets the coverage counters": (f"func TestForge(t *testing.T) {{\n\tfor i := range {COUNTERS}.Count {{\n"
                                   f"\t\t{COUNTERS}.Count[i] = 1\n\t}}\n}}", ("testing",)),
    "redirects the profile and writes its own": (
        'func TestForge(t *testing.T) {\n\tflag.Set("test.coverprofile", "/dev/null")\n'
        + forge("/dev/fd/3").split("{\n", 1)[1], ("flag", "os", "testing")),
}


@pytest.mark.parametrize("name", sorted(REACHES))
def test_a_test_that_reaches_the_coverage_machinery_scores_0(sandbox, name):
    """Each of these would score 1.0 with one branch tested if it were run (see test_forgeries_work_unchecked)."""
    body, imports = REACHES[name]
    result, reward = score(sandbox, go_test_file(POSITIVE, body, imports=imports))
    assert reward == 0.0 and "may not take part" in result.details["error"], (name, result.details)


def test_forgeries_work_unchecked(sandbox, monkeypatch):
    """Without the check of the candidate, the forgeries above reach full coverage: the check is what stops them."""
    from codeforge.sandbox.recipes import gounit

    monkeypatch.setattr(gounit, "CANDIDATE_FORBIDDEN", ())
    for name, (body, imports) in REACHES.items():
        result, reward = score(sandbox, go_test_file(POSITIVE, body, imports=imports))
        assert result.details["function_coverage"] == 1.0 and reward == 1.0, (name, result.details)
