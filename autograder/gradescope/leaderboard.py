"""Gradescope's leaderboard (opt-in: `leaderboard = True` in autograder/config.py): two public numbers per
submission, written into results.json's `leaderboard`, which Gradescope shows on the assignment's leaderboard page.

- "conv2d time vs reference" (order "asc": lower is better): the ratio part 3.1 scored (the student's conv2d over the
  reference's on the course's first layer, median of per-run ratios). Present only when 3.1 measured it: a wrong or
  forbidden conv2d has no ratio.
- "CNN test accuracy" (order "desc"): the digits test accuracy part 4.1 scored.

Nothing hidden goes on it: both numbers are already in visible tests' feedback, and an entry is left out unless its
test is visible to the student right now (an instructor who makes 3.1 or 4.1 `after_published` hides it from the
leaderboard too). The hidden conv2d cases (2.4) contribute nothing.

The parts record their number here (`record`) in the grader process, where they are computed (student code, in the
sandbox, cannot reach it); `autograder.gradescope.entry` takes them after its one grading (`take`).
"""
RATIO = "conv2d time vs reference"
ACCURACY = "CNN test accuracy"
ENTRIES = {  # name: (test number it comes from, Gradescope order, digits kept)
    RATIO: ("3.1", "asc", 2),
    ACCURACY: ("4.1", "desc", 4),
}

_recorded = {}


def record(name, value):
    """A part's measured number (called by the graded case that computed it)."""
    _recorded[name] = float(value)


def take():
    """The numbers recorded since the last take(), cleared."""
    values = dict(_recorded)
    _recorded.clear()
    return values


def entries(values, results):
    """Gradescope's leaderboard list from recorded `values`, for the results.json dict `results` (after
    student_safe): only finite numbers whose test is listed and visible."""
    visible = {str(test.get("number")) for test in results.get("tests", [])
               if test.get("visibility", "visible") == "visible"}
    board = []
    for name, (number, order, digits) in ENTRIES.items():
        value = values.get(name)
        if value is None or value != value or value in (float("inf"), float("-inf")) or number not in visible:
            continue
        board.append({"name": name, "value": round(value, digits), "order": order})
    return board
