"""The zip as Gradescope runs it, in the runtime students' code really meets there.

Not the development environment: an environment built from the grading lock alone (measure.grading_environment:
world-readable, on the system's Python, the libraries that convolve restricted as setup.sh restricts them), and
run_autograder started without CAP_SYS_ADMIN, as Docker starts Gradescope's containers, so the sandbox cannot use
namespaces and works by permissions. Every bundled example, the solution and the stencil must score what they score
in `make grade` (tests/test_examples.py's promises), the notebook included; and in a 768 MB memory cgroup, as
Gradescope's default container, the solution still gets full marks and a memory blow-up costs only its own points.
"""
import os
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from autograder import verdicts
from autograder.gradescope import package
from autograder.gradescope.measure import grading_environment, run_like_gradescope
from conftest import SOLUTION, STENCIL
from test_examples import EXAMPLES, PROMISES, full_marks

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.geteuid() != 0, reason="Gradescope runs run_autograder as root")]

METADATA = {"id": 1, "created_at": "2026-11-01T12:00:00.000000-05:00", "previous_submissions": [],
            "users": [{"email": "s@example.edu", "name": "S", "id": 1}], "assignment": {"title": "CNN"}}
MEMORY_CGROUP = Path("/sys/fs/cgroup/memory")


def stencil_scores_zero(result):
    assert result.score == 0 and result.status == "graded"


SUBMISSIONS = {**{name: EXAMPLES / name for name in PROMISES}, "solution": SOLUTION, "stencil": STENCIL}
CHECKS = {**PROMISES, "solution": full_marks, "stencil": stencil_scores_zero}


def submission_files(folder):
    names = ("convolution.py", "assignment.py", "preprocess.py")
    return [path for path in sorted(Path(folder).iterdir())
            if path.name in names or path.suffix == ".ipynb" and folder != STENCIL]


def as_result(results):
    """results.json as the object test_examples' promises read."""
    extra = results.get("extra_data", {})
    tests = [SimpleNamespace(number=t["number"], score=t["score"], max_score=t["max_score"], output=t["output"],
                             passed=t["score"] >= t["max_score"]) for t in results["tests"]]
    return SimpleNamespace(tests=tests, score=results["score"], max_score=sum(t.max_score for t in tests),
                           status=extra.get("status"), flags=extra.get("flags", []), output=results["output"],
                           diagnosis=extra.get("diagnosis", ""), execution_time=results["execution_time"],
                           isolation=extra.get("isolation", {}))


@pytest.fixture(scope="module")
def python():
    return grading_environment()


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("dist") / "autograder.zip"
    package.build(path)
    return path


@pytest.fixture(scope="module")
def graded(autograder_zip, python):
    """Every submission through the zip, two at a time (as `make grade` on 2 cores)."""
    with ThreadPoolExecutor(2) as pool:
        runs = {name: pool.submit(run_like_gradescope, autograder_zip, submission_files(folder), python,
                                  metadata=METADATA)
                for name, folder in SUBMISSIONS.items()}
        return {name: run.result() for name, run in runs.items()}


@pytest.mark.parametrize("name", sorted(SUBMISSIONS))
def test_each_submission_scores_in_the_grading_runtime_what_make_grade_gives(graded, name):
    results, stdout, _ = graded[name]
    result = as_result(results)
    assert result.status == "graded", stdout[-3000:]
    CHECKS[name](result)
    assert result.isolation["mode"] == "permissions", "without CAP_SYS_ADMIN there are no namespaces"
    assert result.isolation["network_blocked"] is False, "the report must not claim what it did not verify"


def test_the_runtime_has_what_student_files_import(python):
    """matplotlib (loss plots at the top of assignment.py, the release notebook) with a headless backend."""
    completed = subprocess.run([str(python), "-c", "import matplotlib, matplotlib.pyplot as plt; plt.plot([1]); "
                                "plt.show(); print(matplotlib.get_backend())"], capture_output=True, text=True,
                               env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert completed.returncode == 0 and completed.stdout.strip().lower() == "agg", completed.stderr


@pytest.mark.parametrize("name", ["solution", "memory_hog"])
def test_in_a_768_mb_container_the_grader_survives_and_memory_costs_only_its_points(autograder_zip, python, name):
    if not (MEMORY_CGROUP / "cgroup.procs").exists():
        pytest.fail("no cgroup v1 memory controller here to stand for Gradescope's 768 MB container")
    results, stdout, stats = run_like_gradescope(autograder_zip, submission_files(SUBMISSIONS[name]), python,
                                                 memory_mb=768, metadata=METADATA)
    result = as_result(results)
    assert result.status == "graded", f"the grader itself was killed or failed:\n{stdout[-3000:]}"
    CHECKS[name](result)
    print(f"\n{name} at 768 MB: score {result.score}, sandbox limit {result.isolation.get('memory_limit_mb')} MB, "
          f"container peak {stats['peak_mb']:.0f} MB, OOM kills in the container {stats['oom_kills']}")
    assert result.isolation["memory_limit_mb"] <= 768 - 160


# The rule, speed and lookup attacks of the catalogue, through the zip too: on Gradescope the conv2d parts' NumPy-only
# worker is enforced by permissions (setup.sh's restrict_libraries), not by a mount view.
ZIP_ATTACKS = ("tf_conv_in_a_thread", "trap_record_stubbed", "scipy_private_convolve", "tf_conv_only_for_big_batches",
               "speed_precomputed_on_upload", "model_nearest_neighbour_lookup")
CATALOGUE = Path(__file__).resolve().parent / "catalogue" / "attacks"


@pytest.mark.parametrize("name", ZIP_ATTACKS)
def test_rule_speed_and_lookup_attacks_are_defeated_through_the_zip(autograder_zip, python, name):
    verdict = json.loads((CATALOGUE / name / "verdict.json").read_text())
    files = sorted(path for path in (CATALOGUE / name).iterdir() if path.suffix == ".py")
    results, stdout, _ = run_like_gradescope(autograder_zip, files, python, metadata=METADATA)
    result = as_result(results)
    assert result.status == "graded", stdout[-3000:]
    scores = {test.number: test.score for test in result.tests}
    maxima = {test.number: test.max_score for test in result.tests}
    assert verdicts.score_problems(verdict, scores, maxima, result.score, result.flags) == []
