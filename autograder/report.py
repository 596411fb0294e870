"""Every output of a grading, rendered from `SubmissionResult`s alone, and written in one place.

    one submission                         a class (OUT/)
    results.json   what Gradescope shows   grades.csv   one row per submission (and per entry not graded)
                                           gradebook.csv, canvas.csv   one row per student (canvas: its import)
                   (student_safe: held-back tests stay unguessable)
    grader.json    everything (resuming)   summary.md   distribution, diagnoses, flagged submissions
    overview       the student's summary   scores.png   histogram of the totals (when matplotlib is there)
    stdout         Gradescope's log        table        the terminal table; `row`: one progress line

Adding an output: write its renderer here and add it to SUBMISSION_FILES or CLASS_FILES (name: renderer returning
str or bytes, or None for "nothing to write"). Nothing else changes: the batch, merge, Gradescope's entry and the
verdicts all write through `write_submission` / `write_class`.
"""
import csv
import io
import json
import re
import statistics
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path

from autograder.paths import write_atomically
from autograder.results import SubmissionResult
from autograder.sandbox.isolation import UNSAFE_BANNER

# Gradescope's per-field limit is 100,000 characters; stay well under it.
MAX_OUTPUT_CHARS = 20_000


# -- one submission ----------------------------------------------------------------------------------------------

def overview(result, notes=()):
    """The Markdown shown above the tests: total, main diagnosis, flags, intake notes."""
    lines = [f"**Score: {result.score:g} / {result.max_score:g}**"]
    if result.isolation.get("banner"):
        lines.insert(0, f"**{result.isolation['banner']}**")
    if result.diagnosis:
        lines.append(f"Most likely mistake: *{result.diagnosis.replace('_', ' ')}* (see the conv2d tests below).")
    lines.extend(notes)
    return "\n\n".join(lines)


def _clip(text):
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    return text[:MAX_OUTPUT_CHARS] + "\n\n... (cut)"


def to_gradescope(result):
    """results.json content in Gradescope's schema (numeric execution_time, status, Markdown output)."""
    return {
        "score": result.score,
        "execution_time": round(result.execution_time, 3),
        "output": _clip(result.output),
        "output_format": "md",
        "test_output_format": "md",
        "stdout_visibility": "hidden",
        "visibility": "visible",
        "extra_data": {
            "status": result.status,
            "flags": result.flags,
            "diagnosis": result.diagnosis,
            "autograder_version": result.autograder_version,
            "isolation": result.isolation,
        },
        "tests": [
            {
                "name": test.name,
                "number": test.number,
                "score": round(test.score, 4),
                "max_score": test.max_score,
                "status": test.status,
                "output": _clip(test.output),
                "output_format": "md",
                "visibility": test.visibility,
                "tags": list(test.tags),
            }
            for test in result.tests
        ],
    }


def json_text(data):
    return json.dumps(data, indent=2) + "\n"


def fallback_template(tests, student_safe=lambda data: data):
    """results.json of a grading that did not finish (run_autograder's fallback), in the shape of every other:
    each test at 0, with the placeholders @REASON@ (a sentence) and @EXIT_STATUS@ (a number) that run_autograder
    fills in with plain shell. package.py puts it in the zip; `student_safe` is the Gradescope entry's rule."""
    reason = "@REASON@"
    message = (f"**Your submission could not be graded.** {reason} This is usually not your fault: your instructor "
               f"can see the details and regrade it. If your code runs for a very long time or uses a lot of memory, "
               f"fix that and resubmit.")
    result = SubmissionResult(name="submission", status="error", output=message,
                              tests=[replace(test, output=f"Not graded: {reason}") for test in tests])
    data = student_safe(to_gradescope(result))
    data["extra_data"] = {"status": "error", "fallback": True, "exit_status": "@EXIT_STATUS@"}
    return json_text(data).replace('"@EXIT_STATUS@"', "@EXIT_STATUS@")


# Hidden means hidden. Gradescope's autograder specification: a test with visibility `after_due_date` or
# `after_published` is shown to students only from then on, and while such a test is held back "students will not be
# able to see their total score"; tests with visibility `hidden` do not hold the total back (they are meant for tests
# worth no points). So a scored test is never written `hidden` (the total would show, and the total minus the visible
# tests is the hidden score), and our own top-level output states only the score of the tests shown now.
HELD_BACK = ("after_due_date", "after_published")       # shown to students later; Gradescope then hides the total
NEVER_SHOWN = "hidden"                                  # Gradescope still shows the total: only for 0-point tests


def student_safe(results, quiet=False):
    """results.json (a dict, changed in place and returned) such that no student can compute a held-back test's
    score before it is shown: scored `hidden` tests become `after_published`, and while any scored test is held back
    the top-level output's total is replaced by the score of the visible tests."""
    for test in results["tests"]:
        if test.get("visibility") == NEVER_SHOWN and test.get("max_score"):
            quiet or print(f"== visibility: test {test.get('number')} is worth points, so it is written as after_published, "
                  "not hidden (Gradescope would show students the total, revealing its score)")
            test["visibility"] = "after_published"
    held_back = [test for test in results["tests"] if test.get("visibility") in HELD_BACK and test.get("max_score")]
    if not held_back or results.get("visibility", "visible") != "visible":
        return results
    visible = [test for test in results["tests"] if test.get("visibility", "visible") == "visible"]
    total_line = f"**Score: {results['score']:g} / {sum(test['max_score'] for test in results['tests']):g}**"
    numbers = ", ".join(str(test.get("number")) for test in held_back)
    when = ("after the due date" if all(test["visibility"] == "after_due_date" for test in held_back)
            else "when your instructor publishes the grades")
    shown_line = (f"**Score of the tests shown now: {sum(test['score'] for test in visible):g} / "
                  f"{sum(test['max_score'] for test in visible):g}.** "
                  f"{'Test' if len(held_back) == 1 else 'Tests'} {numbers} "
                  f"({sum(test['max_score'] for test in held_back):g} points) "
                  f"{'is' if len(held_back) == 1 else 'are'} graded too: "
                  f"{'its result' if len(held_back) == 1 else 'their results'} and your total are shown {when}.")
    paragraphs = [paragraph for paragraph in results.get("output", "").split("\n\n") if paragraph]
    if total_line in paragraphs:        # autograder.report.overview's line: the same place, the visible part
        paragraphs[paragraphs.index(total_line)] = shown_line
    else:
        paragraphs.insert(0, shown_line)
    results["output"] = "\n\n".join(paragraph.replace(total_line, "") if paragraph != shown_line else paragraph
                                     for paragraph in paragraphs)
    return results


def gradescope_stdout(result):
    """What the instructor sees in Gradescope's autograder output (run_autograder's stdout)."""
    lines = [f"== result: {result.status}, score {result.score:g}/{result.max_score:g}, "
             f"{result.execution_time:.1f} s, autograder {result.autograder_version}",
             f"== flags: {', '.join(result.flags) or 'none'}; diagnosis: {result.diagnosis or 'none'}",
             f"== isolation: {json.dumps(result.isolation, sort_keys=True)}"]
    lines += [f"   {test.number:<5} {test.score:6.2f}/{test.max_score:<5g} {test.name}" for test in result.tests]
    if result.instructor_log:
        lines.append("== grader log:\n" + result.instructor_log)
    return "\n".join(lines) + "\n"


def gradescope_results(result, quiet=True):
    """results.json exactly as Gradescope stores and shows it (held-back scores withheld): what the Gradescope entry
    writes and what a local grading writes, so the two never differ but in time and isolation."""
    return student_safe(to_gradescope(result), quiet=quiet)


SUBMISSION_FILES = {     # DIR/name: renderer of one SubmissionResult
    "results.json": lambda result: json_text(gradescope_results(result)),     # what Gradescope shows
    "grader.json": lambda result: json_text(asdict(result)),             # everything: instructor, resuming, merge
}


def write_submission(result, directory):
    """Every file of SUBMISSION_FILES into `directory` (what `results.load_result` reads back)."""
    for name, render in SUBMISSION_FILES.items():
        write_atomically(Path(directory) / name, render(result))


# -- text students control ---------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")     # OWASP's CSV injection list
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&$:])")


def spreadsheet_cell(value):
    """A CSV cell a spreadsheet shows as text: a string starting like a formula gets a leading single quote
    (OWASP's rule). Numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def markdown_text(text):
    """Student-controlled text (a submission or student name) as literal Markdown: on one line, every character
    Markdown or HTML could act on backslash-escaped."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


# -- a class -----------------------------------------------------------------------------------------------------

CSV_FIXED = ["submission", "student", "status", "score", "max_score", "flags", "diagnosis", "sandbox", "note"]


def grades_csv(results):
    """One row per submission: the fixed columns, then one column per graded test (by number and name). Every text
    cell is inert in a spreadsheet (see spreadsheet_cell)."""
    test_columns = []
    for result in results:
        for test in result.tests:
            column = f"{test.number} {test.name}"
            if column not in test_columns:
                test_columns.append(column)
    stream = io.StringIO(newline="")
    writer = csv.writer(stream)
    writer.writerow([spreadsheet_cell(cell) for cell in CSV_FIXED + test_columns])
    for result in sorted(results, key=lambda r: r.name):
        scores = {f"{t.number} {t.name}": t.score for t in result.tests}
        row = [result.name, result.student, result.status, result.score, result.max_score,
               " ".join(result.flags), result.diagnosis, sandbox_text(result),
               result.output if result.status == "skipped" else ""] + \
            [scores.get(column, "") for column in test_columns]
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    return stream.getvalue()


def sandbox_text(result):
    """grades.csv's sandbox column: how the student's code was contained ("none (unsafe)" without a sandbox)."""
    mode = result.isolation.get("mode", "")
    return "none (unsafe)" if mode == "unsafe" else mode


def write_csv(results, path):
    write_atomically(path, grades_csv(results))


def row(result):
    """One line per submission, for progress on a non-terminal."""
    scores = " ".join(f"{t.number}:{t.score:g}" for t in result.tests)
    flags = f" [{', '.join(result.flags)}]" if result.flags else ""
    diagnosis = f" {result.diagnosis}" if result.diagnosis else ""
    return (f"{result.name:<26} {result.score:5.1f}/{result.max_score:g}  {result.status:<7} "
            f"{result.execution_time:5.1f}s  {scores}{flags}{diagnosis}")


def table(results):
    """The terminal table: submission, each part's score, total, status, flags and diagnosis."""
    numbers = []
    for result in results:
        numbers.extend(t.number for t in result.tests if t.number not in numbers)
    header = f"{'submission':<26} " + " ".join(f"{n:>5}" for n in numbers) + "  total  status   diagnosis / flags"
    lines = [header, "-" * len(header)]
    for result in results:
        cells = " ".join(f"{cell(result, n):>5}" for n in numbers)
        notes = result.output if result.status == "skipped" else ", ".join(filter(None, [result.diagnosis] + result.flags))
        lines.append(f"{result.name[:26]:<26} {cells}  {result.score:5.4g}  {result.status:<7}  {notes}")
    return "\n".join(lines)


def cell(result, number):
    """A test's score for the table; a 0-point check (the conv2d rule) shows ok or FAIL."""
    test = next((t for t in result.tests if t.number == number), None)
    if test is None:
        return "-"
    if test.max_score == 0:
        return "ok" if test.passed and result.status == "graded" else "FAIL"
    return f"{test.score:.4g}"


def class_summary(results):
    """summary.md: the score distribution of each part, the most common diagnoses, the flagged submissions (names
    and students escaped: they are the students' text)."""
    skipped = [r for r in results if r.status == "skipped"]
    results = [r for r in results if r.status != "skipped"]
    graded = [r for r in results if r.status == "graded"]
    lines = ["# Grading summary", "",
             f"{len(results)} submissions: {len(graded)} graded, "
             f"{sum(r.status == 'error' for r in results)} could not be graded, "
             f"{sum(r.status == 'pending' for r in results)} pending."
             + (f" {len(skipped)} other entries of the class folder were not graded (below)." if skipped else ""), ""]
    unsafe = [r for r in results if r.isolation.get("mode") == "unsafe"]
    if unsafe:
        lines[1:1] = ["", f"**{UNSAFE_BANNER}** ({len(unsafe)} of {len(results)} submissions.)"]
    if graded:
        lines += ["| part | max | min | median | mean | full marks |", "|---|---|---|---|---|---|"]
        parts, passed = {}, Counter()
        for result in graded:
            for test in result.tests:
                parts.setdefault((test.number, test.name, test.max_score), []).append(test.score)
                passed[test.number] += test.status == "passed"   # a 0-point part (the 2.1 rule) can still fail
        for (number, name, max_score), scores in sorted(parts.items(), key=lambda item: item[0][0]):
            lines.append(f"| {number} {name} | {max_score:g} | {min(scores):g} | {statistics.median(scores):g} | "
                         f"{statistics.mean(scores):.1f} | {passed[number]} |")
        totals = [r.score for r in graded]
        lines += [f"| **total** | {graded[0].max_score:g} | {min(totals):g} | {statistics.median(totals):g} | "
                  f"{statistics.mean(totals):.1f} | {sum(r.score >= r.max_score for r in graded)} |", ""]
    diagnoses = Counter(r.diagnosis for r in results if r.diagnosis)
    if diagnoses:
        lines += ["## Most common diagnoses", ""] + [f"- {name}: {count}" for name, count in diagnoses.most_common()]
        lines.append("")
    flagged = [r for r in results if r.flags or r.status == "error"]
    if flagged:
        lines += ["## Flagged submissions", ""] + [
            f"- {markdown_text(r.name)}{f' ({markdown_text(r.student)})' if r.student else ''}: "
            f"{', '.join(r.flags) or r.status}" for r in flagged]
        lines.append("")
    if skipped:
        lines += ["## Not graded", ""] + [f"- {markdown_text(r.name)}: {markdown_text(r.output)}" for r in skipped]
        lines.append("")
    return "\n".join(lines)


def scores_png(results):
    """A histogram of total scores as PNG bytes, when matplotlib is installed (it is on the instructor's machine,
    not needed on Gradescope) and something was graded; else None."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    totals = [r.score for r in results if r.status == "graded"]
    if not totals:
        return None
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.hist(totals, bins=20, range=(0, max(r.max_score for r in results if r.status == "graded")))
    axes.set_xlabel("total score")
    axes.set_ylabel("submissions")
    axes.set_title(f"{len(totals)} graded submissions")
    figure.tight_layout()
    image = io.BytesIO()
    figure.savefig(image, format="png", dpi=100)
    plt.close(figure)
    return image.getvalue()


def gradebook(results):
    """[(name, email, sid, result)]: one row per student. A group submission gives each member a row; a student in
    several submissions gets the latest (Gradescope's submitted_at). Without an export's names (a local class
    folder) each submission is its own row, named by the submission."""
    latest = {}
    for result in results:
        if result.status == "skipped":
            continue
        for person in result.submitters or [{"name": result.name, "email": "", "sid": "", "submitted_at": ""}]:
            key = person["sid"] or person["email"] or person["name"]
            if key not in latest or person["submitted_at"] > latest[key][0]["submitted_at"]:
                latest[key] = (person, result)
    return sorted(((person["name"], person["email"], person["sid"], result) for person, result in latest.values()),
                  key=lambda row: (row[0].lower(), row[1]))


def _csv(rows):
    stream = io.StringIO(newline="")
    writer = csv.writer(stream)
    for row in rows:
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    return stream.getvalue()


def gradebook_csv(results):
    """gradebook.csv: one row per student (name, email, student ID, submission, score, max, status)."""
    return _csv([["name", "email", "sid", "submission", "score", "max_score", "status"]] + [
        [name, email, sid, result.name, round(result.score, 2), result.max_score, result.status]
        for name, email, sid, result in gradebook(results)])


CANVAS_ASSIGNMENT = "CNN assignment"


def canvas_csv(results):
    """canvas.csv: the gradebook in Canvas's import format (Student, ID, SIS User ID, SIS Login ID, Section, then
    the assignment's column and a Points Possible row). Canvas matches a row by ID or SIS User ID: the student ID
    goes there, the email into SIS Login ID; ID and Section are left for Canvas to fill. Only graded submissions'
    scores are entered (a blank cell leaves Canvas's grade as it is)."""
    rows = gradebook(results)
    if not rows or not any(result.submitters for _, _, _, result in rows):
        return None                  # without an export's students there is no one Canvas could match
    points = max(result.max_score for _, _, _, result in rows)
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", CANVAS_ASSIGNMENT]
    return _csv([header, ["Points Possible", "", "", "", "", points]] + [
        [name, "", sid, email, "", round(result.score, 2) if result.status == "graded" else ""]
        for name, email, sid, result in rows])


CLASS_FILES = {          # OUT/name: renderer of the class's SubmissionResults (None: nothing to write)
    "grades.csv": grades_csv,
    "gradebook.csv": gradebook_csv,
    "canvas.csv": canvas_csv,
    "summary.md": class_summary,
    "scores.png": scores_png,
}


def write_class(results, out_dir):
    """Every file of CLASS_FILES into `out_dir`."""
    for name, render in CLASS_FILES.items():
        content = render(results)
        if content is not None:
            write_atomically(Path(out_dir) / name, content)
