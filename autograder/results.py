"""The one results object of a grading: the cases produce `TestResult`s, the grader wraps them in a
`SubmissionResult`, and every output (results.json, grades.csv, the terminal table, ...) is rendered from that object
alone by `autograder.report`. `load_result` reads back the grader.json that report wrote.
"""
import json
from dataclasses import dataclass, field
from pathlib import Path


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
    cpu_seconds: float = 0.0          # CPU the test cost: the grader and its sandboxed workers (grade.cpu_report)
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
    submitters: list = field(default_factory=list)  # [{name, email, sid, submitted_at}] from a Gradescope export
    execution_time: float = 0.0
    isolation: dict = field(default_factory=dict)   # how the student's code was sandboxed, for the instructor
    instructor_log: str = ""          # grader-side details (never shown to the student)
    autograder_version: str = ""
    submission_hash: str = ""         # sha256 of the submitted files: a resumed batch regrades changed submissions
    cpu_seconds: dict = field(default_factory=dict)  # CPU per test, per worker and in total (grade.cpu_report)

    @property
    def score(self):
        return round(sum(test.score for test in self.tests), 4)

    @property
    def max_score(self):
        return round(sum(test.max_score for test in self.tests), 4)


def load_result(directory):
    """The SubmissionResult written by `report.write_submission`, or None."""
    path = Path(directory) / "grader.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    data["tests"] = [TestResult(**test) for test in data["tests"]]
    return SubmissionResult(**data)
