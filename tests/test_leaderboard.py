"""Gradescope's leaderboard (opt-in): off by default; on, the solution's results.json carries the speed ratio (asc) and
the test accuracy (desc) through the real zip and run_autograder; an entry appears only for a visible test."""
import math

import pytest

from autograder.config import CONFIG
from autograder.gradescope import leaderboard
from conftest import SOLUTION
from test_gradescope import autograder_zip, gradescope_root, run_autograder  # noqa: F401 (fixtures)


def enable_leaderboard(root):
    """What an instructor does in autograder/config.py before `make autograder`."""
    config = root / "source" / "autograder" / "config.py"
    text = config.read_text()
    if "leaderboard: bool = False" in text:
        text = text.replace("leaderboard: bool = False", "leaderboard: bool = True")
    else:
        text = text.replace("    submissions_per_day: int = 0\n",
                            "    submissions_per_day: int = 0\n    leaderboard: bool = True\n")
    assert "leaderboard: bool = True" in text
    config.write_text(text)


def test_off_by_default():
    assert getattr(CONFIG, "leaderboard", False) is False


@pytest.mark.slow
def test_solution_on_the_leaderboard_end_to_end(autograder_zip, gradescope_root):  # noqa: F811
    results, stdout = run_autograder(gradescope_root, autograder_zip,
                                     [SOLUTION / "convolution.py", SOLUTION / "assignment.py"],
                                     before_run=enable_leaderboard)
    board = {entry["name"]: entry for entry in results["leaderboard"]}
    assert set(board) == {leaderboard.RATIO, leaderboard.ACCURACY}, stdout
    assert board[leaderboard.RATIO]["order"] == "asc" and 0 < board[leaderboard.RATIO]["value"] < 25
    assert board[leaderboard.ACCURACY]["order"] == "desc" and 0.9 <= board[leaderboard.ACCURACY]["value"] <= 1
    assert "== leaderboard:" in stdout


def test_no_leaderboard_unless_enabled(autograder_zip, gradescope_root):  # noqa: F811
    results, _ = run_autograder(gradescope_root, autograder_zip, [SOLUTION / "preprocess.py"])
    assert "leaderboard" not in results


def test_entries_only_for_visible_tests_and_real_numbers():
    tests = [{"number": "3.1", "visibility": "visible"}, {"number": "4.1", "visibility": "after_published"},
             {"number": "2.4", "visibility": "after_published"}]
    values = {leaderboard.RATIO: 3.14159, leaderboard.ACCURACY: 0.97}
    assert leaderboard.entries(values, {"tests": tests}) == [
        {"name": leaderboard.RATIO, "value": 3.14, "order": "asc"}]
    tests[1]["visibility"] = "visible"
    assert [e["name"] for e in leaderboard.entries(values, {"tests": tests})] == [leaderboard.RATIO,
                                                                                  leaderboard.ACCURACY]
    assert leaderboard.entries({leaderboard.RATIO: math.nan, leaderboard.ACCURACY: math.inf}, {"tests": tests}) == []
    assert leaderboard.entries({}, {"tests": tests}) == []


def test_take_clears_what_was_recorded():
    leaderboard.take()
    leaderboard.record(leaderboard.RATIO, 2)
    assert leaderboard.take() == {leaderboard.RATIO: 2.0} and leaderboard.take() == {}
