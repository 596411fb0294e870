"""Every bundled example submission gets the outcome its README promises, graded together as `make grade` does."""
import json

import jsonschema
import pytest

from autograder.batch import grade_all
from autograder.config import CONFIG
from autograder.mistakes import MISTAKES_BY_NAME
from conftest import ROOT

EXAMPLES = ROOT / "examples" / "submissions"
SCHEMA = json.loads((ROOT / "tests" / "gradescope_results.schema.json").read_text())
POINTS = CONFIG.points
CONV = ("2.2", "2.3", "2.4")
FULL_CONV = {"2.2": POINTS.conv2d_shapes, "2.3": POINTS.conv2d_values, "2.4": POINTS.conv2d_hidden}


def scores(result):
    return {test.number: test.score for test in result.tests}


def output(result, number):
    return next(test.output for test in result.tests if test.number == number)


def full_marks(result):
    assert result.score == result.max_score, [(t.number, t.output) for t in result.tests if not t.passed]


def named_mistake(name):
    def check(result):
        got = scores(result)
        assert got["1.1"] == POINTS.output_size
        assert got["2.3"] < POINTS.conv2d_values and got["2.4"] < POINTS.conv2d_hidden
        assert result.diagnosis == name
        assert MISTAKES_BY_NAME[name].explanation in output(result, "2.3")
        assert "Smallest failing case" in output(result, "2.3")
        assert "Smallest failing case" not in output(result, "2.4"), "hidden cases are never shown"
    return check


def slow_but_correct(result):
    got = scores(result)
    assert {n: got[n] for n in CONV} == FULL_CONV
    assert got["3.1"] == 0 and "x" in output(result, "3.1")


def crashes_on_import(result):
    assert result.score == 0 and "import-error:convolution.py" in result.flags
    assert "No module named 'cv2'" in output(result, "1.1") and "cv2" in output(result, "2.2")


def hangs(result):
    got = scores(result)
    assert "timeout" in result.flags
    assert all(got[n] == 0 for n in CONV + ("3.1",)) and got["1.1"] == POINTS.output_size
    assert "timed out after" in output(result, "2.2")
    assert "no output on any public case" in output(result, "3.1")
    # one timeout in the public part, one in the hidden part (each part stands alone), not one per case (40 cases):
    # a bound with room for a loaded machine (43.8 s seen against 2 timeouts of 10 s), far below 40 timeouts
    assert result.execution_time < 10 * CONFIG.sandbox.call_timeout_s


def uses_tf_conv2d(result):
    got = scores(result)
    assert "forbidden-api" in result.flags
    assert all(got[n] == 0 for n in CONV + ("3.1",)) and got["1.1"] == POINTS.output_size
    assert "library convolution" in output(result, "2.1") and "tensorflow.nn.conv2d" in output(result, "2.1")


def memory_hog(result):
    got = scores(result)
    assert "memory" in result.flags
    assert all(got[n] == 0 for n in CONV) and got["1.1"] == POINTS.output_size
    assert "memory" in output(result, "2.2")


def notebook(result):
    full_marks(result)
    assert "cell 33 (`%matplotlib inline`): 1 magic/shell line not run" in result.output
    assert "`model = CNN(10)` (line 2)" in result.output


PROMISES = {
    "correct_tensordot": full_marks,
    "notebook": notebook,
    "symmetric_same_padding": named_mistake("symmetric_same_padding"),
    "flipped_kernel": named_mistake("flipped_kernel"),
    "ignores_stride": named_mistake("stride_ignored"),
    "slow_four_loops": slow_but_correct,
    "crashes_on_import": crashes_on_import,
    "hangs": hangs,
    "uses_tf_conv2d": uses_tf_conv2d,
    "memory_hog": memory_hog,
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("grades")
    results = grade_all([EXAMPLES], out, jobs=2, progress=False)
    return out, {result.name: result for result in results}


def test_every_example_has_a_readme_and_a_promise():
    folders = sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
    for folder in folders:
        readme = (EXAMPLES / folder / "README.md").read_text().strip()
        assert readme and "\n" not in readme, f"{folder}/README.md must be one line"
    assert sorted(PROMISES) == folders


@pytest.mark.slow
@pytest.mark.parametrize("example", sorted(PROMISES))
def test_example_gets_the_outcome_its_readme_promises(graded, example):
    out, results = graded
    result = results[example]
    assert result.status == "graded"
    jsonschema.validate(json.loads((out / example / "results.json").read_text()), SCHEMA)
    PROMISES[example](result)


@pytest.mark.slow
def test_batch_outputs_list_every_example(graded):
    out, results = graded
    rows = (out / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(PROMISES)
    assert "Most common diagnoses" in (out / "summary.md").read_text()
