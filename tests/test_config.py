"""Config travels with the grading: a TOML file of overrides changes points, thresholds and visibility of a grading
without editing source, and a bad field is refused with an error that names it."""
import shutil

import pytest

from autograder import config as config_module
from autograder.cases import all_cases, max_points
from autograder.config import CONFIG, ConfigError, load
from autograder.grade import grade_submission, zero_tests
from autograder import runner
from conftest import ROOT, SOLUTION

COURSE = """
hidden_visibility = "visible"

[points]
output_size = 7.5
conv2d_values = 30

[performance]
runs = 1
tiers = [[0.001, 1.0]]     # no conv2d is 1000x faster than the reference: 0 points for speed
"""


def write(tmp_path, text, name="course.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_file_overrides_only_what_it_names(tmp_path):
    loaded = load(write(tmp_path, COURSE))
    assert loaded.points.output_size == 7.5 and loaded.points.conv2d_values == 30
    assert loaded.points.conv2d_shapes == CONFIG.points.conv2d_shapes
    assert loaded.performance.tiers == ((0.001, 1.0),) and loaded.performance.runs == 1
    assert loaded.performance.input_shape == CONFIG.performance.input_shape
    assert loaded.hidden_visibility == "visible" and loaded.model == CONFIG.model
    assert load(write(tmp_path, "", "empty.toml")) == CONFIG


@pytest.mark.parametrize("text, field, why", [
    ("[points]\nconv2d_value = 30", "points.conv2d_value", "unknown field"),
    ("colour = 'blue'", "colour", "unknown field"),
    ("[points]\noutput_size = 'ten'", "points.output_size", "must be a number"),
    ("[model]\nepochs = 2.5", "model.epochs", "must be an integer"),
    ("leaderboard = 1", "leaderboard", "must be true or false"),
    ("points = 3", "points", "must be a table"),
    ("[points]\nperformance = -1", "points.performance", "must be >= 0"),
    ("[model]\nfull_credit_accuracy = 1.5", "model.full_credit_accuracy", "between 0 and 1"),
    ("[model]\nfull_credit_accuracy = 0.4", "model.full_credit_accuracy", "above"),
    ("[sandbox]\nmemory_mb = 0", "sandbox.memory_mb", "must be > 0"),
    ("[performance]\ntiers = [[100, 0.5], [25, 1.0]]", "performance.tiers", "rising order"),
    ("[performance]\ninput_shape = [32, 32, 3]", "performance.input_shape", "4 positive integers"),
    ("hidden_visibility = 'secret'", "hidden_visibility", "must be one of"),
    ("canonical_strides = 'nchw'", "canonical_strides", "must be one of"),
    ("public_seed = 1", "public_seed", "make fixtures"),
])
def test_a_bad_field_is_named(tmp_path, text, field, why):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load(path)
    message = str(caught.value)
    assert str(path) in message and f"`{field}`" in message and why in message, message


def test_the_readme_example_loads(tmp_path):
    readme = (ROOT / "README.md").read_text()
    example = readme[readme.index("```toml\n# course.toml") + len("```toml\n"):]
    loaded = load(write(tmp_path, example[:example.index("```")]))
    assert loaded.points.conv2d_values == 30 and loaded.hidden_visibility == "after_due_date"


def test_a_file_that_is_not_toml_is_named(tmp_path):
    path = write(tmp_path, "[points\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load(tmp_path / "missing.toml")


def test_points_and_visibility_are_read_from_the_config_not_bound_at_import(tmp_path):
    loaded = load(write(tmp_path, COURSE))
    tests = {test.number: test for test in zero_tests("x", loaded)}
    assert tests["1.1"].max_score == 7.5 and tests["2.3"].max_score == 30 and tests["2.4"].visibility == "visible"
    default = {test.number: test for test in zero_tests("x")}
    assert default["2.3"].max_score == CONFIG.points.conv2d_values
    assert default["2.4"].visibility == CONFIG.hidden_visibility
    for case_class in all_cases():      # every graded method declares its points by a config field (or a fixed 0)
        for _, function in runner.test_methods(case_class):
            assert isinstance(function.__points__, str) or function.__points__ == 0, function
            assert max_points(function, CONFIG) >= 0


def test_no_part_reads_the_module_global_config():
    from autograder import cases
    from pathlib import Path
    for source in Path(cases.__file__).parent.glob("*.py"):
        assert "CONFIG" not in source.read_text().replace("module-global CONFIG", ""), source.name
    assert config_module.CONFIG is CONFIG


@pytest.mark.slow
def test_grading_with_a_course_file_changes_the_scores(tmp_path):
    """The solution's convolution alone (no model): the conv2d parts earn the file's points, the speed part scores
    by the file's tiers, the hidden part has the file's visibility."""
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy(SOLUTION / "convolution.py", submission / "convolution.py")
    loaded = load(write(tmp_path, COURSE))
    result = grade_submission(submission, config=loaded)
    tests = {test.number: test for test in result.tests}
    assert (tests["1.1"].score, tests["1.1"].max_score) == (7.5, 7.5)
    assert (tests["2.3"].score, tests["2.3"].max_score) == (30, 30)
    assert tests["2.2"].score == CONFIG.points.conv2d_shapes
    assert tests["2.4"].visibility == "visible" and tests["2.4"].score == CONFIG.points.conv2d_hidden
    assert tests["3.1"].max_score == CONFIG.points.performance and tests["3.1"].score == 0
    assert "up to 0.001x: 100% of the points" in tests["3.1"].output
    assert tests["4.1"].score == 0
    assert result.max_score == sum(vars(CONFIG.points).values()) - 10 + 7.5 - 25 + 30
