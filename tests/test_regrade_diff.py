"""python -m autograder diff OLD_OUT NEW_OUT: every changed submission by part with both messages, the totals before
and after, submissions on one side only; messages shown literally."""
import csv
import subprocess
import sys

from autograder import regrade_diff
from autograder import results as graded
from autograder.report import write_csv, write_submission
from autograder.results import SubmissionResult
from conftest import ROOT


def result(name, scores, messages=None, status="graded", flags=()):
    tests = [graded.TestResult(name=f"part {number}", number=number, score=score, max_score=10,
                        output=(messages or {}).get(number, f"message {number}"),
                        status="passed" if score == 10 else "failed")
             for number, score in scores.items()]
    return SubmissionResult(name=name, tests=tests, status=status, flags=list(flags), autograder_version="v1")


def write_folder(folder, results):
    for item in results:
        write_submission(item, folder / item.name)
    write_csv(results, folder / "grades.csv")


def test_diff_lists_changed_parts_with_both_messages(tmp_path):
    old = [result("ann", {"1.1": 10, "2.2": 5}, {"2.2": "symmetric padding"}),
           result("ben", {"1.1": 10, "2.2": 10}),
           result("cyd", {"1.1": 0, "2.2": 0}, status="error", flags=["timeout"]),
           result("gone", {"1.1": 10, "2.2": 10})]
    new = [result("ann", {"1.1": 10, "2.2": 10}, {"2.2": "```\nall right ```` <img src=x>"}),
           result("ben", {"1.1": 10, "2.2": 10}),
           result("cyd", {"1.1": 10, "2.2": 0}, flags=[]),
           result("new", {"1.1": 0, "2.2": 0})]
    write_folder(tmp_path / "old", old)
    write_folder(tmp_path / "new", new)
    completed = subprocess.run([sys.executable, "-m", "autograder", "diff", str(tmp_path / "old"),
                                str(tmp_path / "new"), "--out", str(tmp_path / "report")], cwd=ROOT,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    text = completed.stdout
    assert "2 of 3 submissions changed (2 up, 0 down); 1 only before, 1 only after." in text
    assert "### ann: 15 -> 20 (+5)" in text and "### cyd: 0 -> 10 (+10)" in text and "### ben" not in text
    assert "- **2.2 part 2\\.2**: 5 -> 10" in text
    assert "symmetric padding" in text
    # the new message holds a fence and markup: it sits in a longer fence, verbatim
    assert "`````text\n  ```\n  all right ```` <img src=x>\n  `````" in text
    assert "- status: error -> graded" in text and "- flags: timeout -> none" in text
    assert "## Only before\n\n- gone" in text and "## Only after\n\n- new" in text
    assert "| before | 3 | 1 |" in text and "| after | 4 | 0 |" in text
    rows = list(csv.DictReader(open(tmp_path / "report" / "regrade-diff.csv")))
    assert {(r["submission"], r["part"], r["delta"]) for r in rows} == {("ann", "2.2", "5.0"), ("cyd", "1.1", "10.0")}
    assert (tmp_path / "report" / "regrade-diff.md").read_text() + "\n" == text


def test_a_folder_with_only_grades_csv_is_read_from_it(tmp_path):
    write_csv([result("ann", {"1.1": 10, "2.2": 5})], tmp_path / "old" / "grades.csv")
    write_folder(tmp_path / "new", [result("ann", {"1.1": 10, "2.2": 7})])
    old, new = regrade_diff.load_folder(tmp_path / "old"), regrade_diff.load_folder(tmp_path / "new")
    changed, only_old, only_new = regrade_diff.compare(old, new)
    assert [(name, [(p[0], p[2], p[3]) for p in parts]) for name, _, _, parts in changed] == [("ann", [("2.2", 5, 7)])]
    assert not only_old and not only_new


def test_unchanged_gradings_report_nothing_changed(tmp_path):
    write_folder(tmp_path / "a", [result("ann", {"1.1": 10})])
    write_folder(tmp_path / "b", [result("ann", {"1.1": 10})])
    text, changed = regrade_diff.markdown("a", "b", regrade_diff.load_folder(tmp_path / "a"),
                                          regrade_diff.load_folder(tmp_path / "b"))
    assert not changed and "0 of 1 submissions changed" in text and "## Changed" not in text


def test_grade_with_compare_and_similarity(tmp_path):
    """grade --compare OLD_OUT (here OUT itself, regraded with --force) and --similarity, on two real submissions."""
    for name in ("one", "two"):
        (tmp_path / "class" / name).mkdir(parents=True)
        (tmp_path / "class" / name / "convolution.py").write_text(
            (ROOT / "tests" / "catalogue" / "correct" / "window_einsum" / "convolution.py").read_text())
    out = tmp_path / "out"
    grade = [sys.executable, "-m", "autograder", "grade", str(tmp_path / "class"), "--out", str(out), "--jobs", "1"]
    first = subprocess.run(grade, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    (tmp_path / "class" / "two" / "convolution.py").write_text("import numpy as np\n")
    again = subprocess.run(grade + ["--compare", str(out), "--similarity"], cwd=ROOT, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert "1 of 2 submissions changed (0 up, 1 down)" in again.stdout and "### two:" in again.stdout
    assert (out / "similarity.csv").exists() and "## Similarity" in (out / "summary.md").read_text()
