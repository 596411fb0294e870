"""End to end: real submissions through the real grader (sandboxed worker, fixtures, runner, results.json)."""
import json

import jsonschema
import pytest

from autograder import report
from autograder.config import CONFIG
from autograder.grade import grade_submission
from conftest import ROOT, SOLUTION, STENCIL

SCHEMA = json.loads((ROOT / "tests" / "gradescope_results.schema.json").read_text())
POINTS = CONFIG.points


def graded(path, out_dir):
    result = grade_submission(path)
    report.write_submission(result, out_dir)
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


def test_missing_convolution_file_is_a_clear_error_with_full_point_total(tmp_path):
    empty = tmp_path / "empty_submission"
    empty.mkdir()
    (empty / "notes.txt").write_text("oops")
    result, written = graded(empty, tmp_path / "out")
    assert result.status == "error"
    assert "convolution.py" in written["output"]
    assert written["score"] == 0 and sum(t["max_score"] for t in written["tests"]) == sum(vars(POINTS).values())


def test_a_static_check_that_fails_costs_only_its_own_part_and_is_reported_to_the_instructor(tmp_path, monkeypatch):
    """A grader fault in the static check (it once crashed on `cfg["stride"]`) is never a 0 for the submission."""
    import shutil
    from autograder import rules
    from autograder.runner import GRADER_FAULT

    def broken_check(source, function="conv2d", max_steps=0):
        raise AttributeError("'_Checker' object has no attribute 'aliases'")
    monkeypatch.setattr(rules, "find_forbidden", broken_check)
    shutil.copy(SOLUTION / "convolution.py", tmp_path / "convolution.py")
    result = grade_submission(tmp_path)
    got = scores(result)
    assert result.status == "graded" and "forbidden-api" not in result.flags
    assert output_of(result, "2.1") == GRADER_FAULT
    assert (got["2.2"], got["2.3"], got["2.4"]) == (POINTS.conv2d_shapes, POINTS.conv2d_values, POINTS.conv2d_hidden)
    assert "the static check failed" in result.instructor_log and "no attribute 'aliases'" in result.instructor_log
    assert "aliases" not in result.output and "Traceback" not in json.dumps(report.to_gradescope(result))


def test_the_grading_records_its_cpu_by_test_and_by_worker(tmp_path):
    import shutil
    shutil.copy(SOLUTION / "convolution.py", tmp_path / "convolution.py")
    result = grade_submission(tmp_path)
    cpu = result.cpu_seconds
    assert set(cpu["tests"]) == {test.number for test in result.tests}
    assert cpu["workers"]["NumPy-only worker: start"] > 0 and cpu["workers"]["NumPy-only worker: call"] > 0
    assert cpu["workers"]["reference worker: call"] > 0             # the performance part's other side
    # the total covers every process: at least what its parts measured, and the grading's own work besides
    assert cpu["total"] >= sum(cpu["tests"].values()) * 0.95 > 0
    assert cpu["tests"]["3.1"] >= cpu["workers"]["reference worker: call"]


def test_a_pure_numpy_conv2d_that_imports_tensorflow_sees_no_grader_internals(tmp_path):
    """Course files import TensorFlow at the top beside a NumPy conv2d: the NumPy-only worker gives them a stand-in,
    and nothing of the grader's (its trap, its paths) appears in what the student is shown."""
    (tmp_path / "convolution.py").write_text("import tensorflow as tf\n" + (SOLUTION / "convolution.py").read_text())
    result = grade_submission(tmp_path)
    got = scores(result)
    assert (got["2.2"], got["2.3"], got["2.4"]) == (POINTS.conv2d_shapes, POINTS.conv2d_values, POINTS.conv2d_hidden)
    shown = json.dumps(report.student_safe(report.to_gradescope(result)))
    for internal in ("[sandbox]", "trap.py", "could not watch", "/run/cnn-autograder", "worker.py"):
        assert internal not in shown, internal


def test_a_course_names_its_model_class_and_training_function(tmp_path):
    """The Brown course's class is `Model`; a course sets the names the model part calls (model.class_name,
    model.train_function) and such files are graded like any other."""
    import dataclasses
    import shutil
    source = (SOLUTION / "assignment.py").read_text()
    assert "class CNN(" in source and "def train(" in source
    renamed = source.replace("class CNN(", "class Model(").replace("CNN(num_classes)", "Model(num_classes)")
    renamed = renamed.replace("def train(", "def train_epoch(").replace("= train(model", "= train_epoch(model")
    (tmp_path / "assignment.py").write_text(renamed)
    shutil.copy(SOLUTION / "convolution.py", tmp_path / "convolution.py")
    course = dataclasses.replace(CONFIG, model=dataclasses.replace(CONFIG.model, class_name="Model",
                                                                 train_function="train_epoch"))
    got = scores(grade_submission(tmp_path, config=course))
    assert (got["4.1"], got["4.2"]) == (POINTS.model_accuracy, POINTS.model_own_conv)
    assert scores(grade_submission(tmp_path))["4.1"] == 0       # the default names are not there


def test_tensorflow_helpers_are_allowed_and_a_numpy_only_course_costs_only_the_rule(tmp_path):
    """A correct conv2d built from tf.pad, tf.multiply and tf.reduce_sum: by default every conv2d part is full and
    2.1 says the helpers ran as NumPy; a course with numpy_only fails 2.1 alone, naming the calls and the rule."""
    import dataclasses
    import shutil
    shutil.copy(ROOT / "tests" / "catalogue" / "styles" / "tf_pad_multiply_reduce_sum" / "convolution.py", tmp_path)
    default = grade_submission(tmp_path)
    got = scores(default)
    assert (got["2.1"], got["2.2"], got["2.3"], got["2.4"]) == (
        0, POINTS.conv2d_shapes, POINTS.conv2d_values, POINTS.conv2d_hidden)
    rule = next(test for test in default.tests if test.number == "2.1")
    assert rule.status == "passed" and "`tensorflow.reduce_sum`" in rule.output and "as their NumPy" in rule.output
    shown = json.dumps(report.student_safe(report.to_gradescope(default)))
    assert "library convolution (" not in shown and "notified" not in shown and "forbidden-api" not in default.flags

    course = dataclasses.replace(CONFIG, numpy_only=True, points=dataclasses.replace(POINTS, conv2d_rule=5))
    numpy_only = grade_submission(tmp_path, config=course)
    got = scores(numpy_only)
    assert (got["2.1"], got["2.2"], got["2.3"], got["2.4"]) == (
        0, POINTS.conv2d_shapes, POINTS.conv2d_values, POINTS.conv2d_hidden)
    rule = next(test for test in numpy_only.tests if test.number == "2.1")
    assert rule.max_score == 5 and rule.status == "failed"
    assert "NumPy only" in rule.output and "`tensorflow.pad` (line" in rule.output
