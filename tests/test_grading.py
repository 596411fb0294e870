"""End to end: real submissions through the real grader (sandboxed worker, fixtures, runner, results.json)."""
import json

import jsonschema
import pytest

from autograder.config import CONFIG
from autograder.grade import grade_submission
from autograder.mistakes import MISTAKES_BY_NAME
from conftest import ROOT, SOLUTION, STENCIL

EXAMPLES = ROOT / "examples" / "submissions"
SCHEMA = json.loads((ROOT / "tests" / "gradescope_results.schema.json").read_text())
CONV_PARTS = ("2.2", "2.3", "2.4")
POINTS = CONFIG.points


def graded(path, out_dir):
    result = grade_submission(path, out_dir)
    written = json.loads((out_dir / "results.json").read_text())
    jsonschema.validate(written, SCHEMA)
    return result, written


def scores(result):
    return {test.number: test.score for test in result.tests}


def output_of(result, number):
    return next(test.output for test in result.tests if test.number == number)


@pytest.fixture(scope="module")
def solution(tmp_path_factory):
    return graded(SOLUTION, tmp_path_factory.mktemp("solution"))


@pytest.mark.slow
def test_solution_scores_full_marks(solution):
    result, written = solution
    assert result.status == "graded"
    assert result.score == result.max_score > 0, [(t.number, t.score, t.output) for t in result.tests if not t.passed]
    assert written["score"] == result.score
    assert all(test["status"] == "passed" for test in written["tests"])
    assert result.flags == []


@pytest.mark.slow
def test_grading_is_deterministic(solution, tmp_path):
    again, _ = graded(SOLUTION, tmp_path)
    assert scores(again) == scores(solution[0])


def test_stencil_scores_zero_with_a_message_per_part(tmp_path):
    result, written = graded(STENCIL, tmp_path)
    assert result.status == "graded"
    assert written["score"] == 0
    for test in written["tests"]:
        if test["max_score"] > 0:
            assert test["score"] == 0 and test["output"], test
    assert "NotImplementedError" in output_of(result, "2.2")


@pytest.mark.parametrize("example, diagnosis", [
    ("symmetric_same_padding", "symmetric_same_padding"),
    ("flipped_kernel", "flipped_kernel"),
    ("ignores_stride", "stride_ignored"),
])
def test_known_mistake_loses_conv_points_and_is_named(example, diagnosis, tmp_path):
    result, _ = graded(EXAMPLES / example, tmp_path)
    got = scores(result)
    assert got["1.1"] == POINTS.output_size, "conv_output_size is right in these examples"
    assert got["2.3"] < POINTS.conv2d_values and got["2.4"] < POINTS.conv2d_hidden
    assert result.diagnosis == diagnosis
    assert MISTAKES_BY_NAME[diagnosis].explanation in output_of(result, "2.3")
    assert "Smallest failing case" in output_of(result, "2.3")
    assert "Smallest failing case" not in output_of(result, "2.4"), "hidden cases are never shown"


def test_hanging_submission_times_out_once_and_grading_finishes(tmp_path):
    result, _ = graded(EXAMPLES / "hangs", tmp_path)
    got = scores(result)
    assert "timeout" in result.flags
    assert all(got[part] == 0 for part in CONV_PARTS + ("3.1",))
    assert "timed out" in output_of(result, "2.2")
    assert result.execution_time < 60, "one timeout, then the remaining calls are skipped"


def test_crash_on_import_costs_every_part_with_the_reason(tmp_path):
    result, _ = graded(EXAMPLES / "crashes_on_import", tmp_path)
    assert result.score == 0
    assert "cv2" in output_of(result, "2.2")
    assert "cv2" in output_of(result, "1.1")


def test_memory_blow_up_is_killed_and_reported(tmp_path):
    result, _ = graded(EXAMPLES / "memory_hog", tmp_path)
    got = scores(result)
    assert "memory" in result.flags
    assert got["1.1"] == POINTS.output_size, "conv_output_size still graded"
    assert all(got[part] == 0 for part in CONV_PARTS)
    assert "memory" in output_of(result, "2.2")


def test_library_convolution_is_flagged_and_scores_zero(tmp_path):
    result, _ = graded(EXAMPLES / "uses_tf_conv2d", tmp_path)
    got = scores(result)
    assert "forbidden-api" in result.flags
    assert all(got[part] == 0 for part in CONV_PARTS + ("3.1",))
    assert "library convolution" in output_of(result, "2.1")


def test_slow_but_correct_loses_only_the_budget(tmp_path):
    result, _ = graded(EXAMPLES / "slow_four_loops", tmp_path)
    got = scores(result)
    assert (got["2.2"], got["2.3"], got["2.4"]) == (
        POINTS.conv2d_shapes, POINTS.conv2d_values, POINTS.conv2d_hidden)
    assert got["3.1"] == 0
    assert "x" in output_of(result, "3.1")


def test_missing_convolution_file_is_a_clear_error_with_full_point_total(tmp_path):
    empty = tmp_path / "empty_submission"
    empty.mkdir()
    (empty / "notes.txt").write_text("oops")
    result, written = graded(empty, tmp_path / "out")
    assert result.status == "error"
    assert "convolution.py" in written["output"]
    assert written["score"] == 0 and sum(t["max_score"] for t in written["tests"]) == sum(vars(POINTS).values())
