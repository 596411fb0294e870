"""The one results object of a grading, and the writers that render it: Gradescope's results.json, a CSV row.

Data flows one way: the cases produce `TestResult`s, the grader wraps them in a `SubmissionResult`, and every output
(results.json, grades.csv, the terminal table) is rendered from that object alone.
"""
import csv
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Gradescope's per-field limit is 100,000 characters; stay well under it.
MAX_OUTPUT_CHARS = 20_000


@dataclass
class TestResult:
    name: str
    number: str
    score: float
    max_score: float
    output: str = ""                  # Markdown, shown to the student (subject to visibility)
    visibility: str = "visible"
    tags: tuple = ()
    seconds: float = 0.0              # how long the test took (for the instructor and the benchmark)
    status: str = "failed"            # "passed" only when the test ran to the end and earned its full score

    @property
    def passed(self):
        return self.status == "passed"


@dataclass
class SubmissionResult:
    name: str
    tests: list = field(default_factory=list)
    status: str = "graded"            # "graded", or "error" when the submission could not be graded at all
    output: str = ""                  # Markdown summary shown to the student above the tests
    flags: list = field(default_factory=list)       # e.g. "forbidden-api", "timeout", "memory", "crashed"
    diagnosis: str = ""               # the main known mistake, if one was named
    student: str = ""                 # name or email, from a Gradescope export
    execution_time: float = 0.0
    isolation: dict = field(default_factory=dict)   # how the student's code was sandboxed, for the instructor
    instructor_log: str = ""          # grader-side details (never shown to the student)
    autograder_version: str = ""
    submission_hash: str = ""         # sha256 of the submitted files: a resumed batch regrades changed submissions

    @property
    def score(self):
        return round(sum(test.score for test in self.tests), 4)

    @property
    def max_score(self):
        return round(sum(test.max_score for test in self.tests), 4)


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


def write_json_atomically(path, data):
    """Write JSON so that a reader never sees a half-written file (a crash leaves the old file or none)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(data, stream, indent=2)
            stream.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_results(result, directory):
    """DIR/results.json for Gradescope, and DIR/grader.json (everything, for the instructor and for resuming)."""
    directory = Path(directory)
    write_json_atomically(directory / "results.json", to_gradescope(result))
    write_json_atomically(directory / "grader.json", asdict(result))


def load_result(directory):
    """The SubmissionResult written by `write_results`, or None."""
    path = Path(directory) / "grader.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    data["tests"] = [TestResult(**test) for test in data["tests"]]
    return SubmissionResult(**data)


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


CSV_FIXED = ["submission", "student", "status", "score", "max_score", "flags", "diagnosis"]


def write_csv(results, path):
    """One row per submission: the fixed columns, then one column per graded test (by number and name). Every text
    cell is inert in a spreadsheet (see spreadsheet_cell)."""
    test_columns = []
    for result in results:
        for test in result.tests:
            column = f"{test.number} {test.name}"
            if column not in test_columns:
                test_columns.append(column)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".csv.tmp")
    with open(temporary, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([spreadsheet_cell(cell) for cell in CSV_FIXED + test_columns])
        for result in sorted(results, key=lambda r: r.name):
            scores = {f"{t.number} {t.name}": t.score for t in result.tests}
            row = [result.name, result.student, result.status, result.score, result.max_score,
                   " ".join(result.flags), result.diagnosis] + [scores.get(column, "") for column in test_columns]
            writer.writerow([spreadsheet_cell(cell) for cell in row])
    os.replace(temporary, path)
