"""The students' self-check (check.py) and packer (pack.py), run for real from a copy of stencil/ alone."""
import importlib.util
import json
import shutil
import subprocess
import sys
import zipfile

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder import fixture_files, forms, mistakes, selfcheck
from autograder.config import CONFIG
from autograder.grade import grade_submission
from autograder.tolerance import conv_magnitude
from conftest import ROOT, SOLUTION, STENCIL

EXAMPLE = ROOT / "examples" / "submissions" / "symmetric_same_padding"


def student_folder(tmp_path, convolution=None, assignment=None):
    """A copy of stencil/ (all a student has), with files replaced; the autograder is not importable from it."""
    folder = tmp_path / "student"
    shutil.copytree(STENCIL, folder)
    for name, source in (("convolution.py", convolution), ("assignment.py", assignment)):
        if source is not None:
            shutil.copy(source, folder / name)
    return folder


def run(folder, script, *args):
    done = subprocess.run([sys.executable, "-I", script, *args], cwd=folder, capture_output=True, text=True,
                          timeout=300)
    return done.returncode, done.stdout + done.stderr


def load_check_module():
    spec = importlib.util.spec_from_file_location("student_check", STENCIL / "check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_check_data_is_made_from_the_graders_fixtures_and_mistakes():
    assert selfcheck.is_current(SOLUTION / "check_cases.npz"), "run `python -m autograder selfcheck`"
    assert (STENCIL / "check_cases.npz").read_bytes() == (SOLUTION / "check_cases.npz").read_bytes()


def test_the_check_data_is_judged_by_float_rounding_and_rewritten_only_when_it_changed(tmp_path, monkeypatch):
    """Another CPU rounds the mistakes' sums otherwise: still current, and `selfcheck` leaves the file alone.
    A real change of one value is stale, and `selfcheck` rewrites it."""
    with np.load(SOLUTION / "check_cases.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    meta = json.loads(str(arrays["meta"]))
    case = next(case for case in meta["conv2d_cases"] if case["mistakes"])
    key = f"{case['id']}/mistake/{case['mistakes'][0]}"
    magnitude = conv_magnitude(arrays[f"{case['id']}/inputs"], arrays[f"{case['id']}/filters"], case["strides"],
                               case["padding"]).max()
    path = tmp_path / "check_cases.npz"
    monkeypatch.setattr(selfcheck, "DATA_PATH", path)

    rounded = dict(arrays, **{key: arrays[key] + np.float32(8 * np.finfo(np.float32).eps * magnitude)})
    fixture_files.write_npz(path, rounded)
    written = path.read_bytes()
    assert selfcheck.is_current(path)
    assert selfcheck.main([]) == 0 and path.read_bytes() == written

    changed = dict(arrays, **{key: arrays[key] + np.float32(1e-3) * (1 + np.abs(arrays[key]).max())})
    fixture_files.write_npz(path, changed)
    assert not selfcheck.is_current(path) and selfcheck.main(["--check"]) == 1
    assert selfcheck.main([]) == 0 and selfcheck.is_current(path)


def test_the_self_check_names_the_same_mistake_as_the_grader_on_every_public_case():
    check = load_check_module()
    meta, cases = check.load_cases(STENCIL / "check_cases.npz")
    # the grader's cases in the canonical form it calls conv2d in (autograder/forms.py), as check.py has them
    graded = {case.id: forms.canonical_case(case, CONFIG.canonical_strides)
              for case in fixture_files.load_conv_cases("public")}
    compared = 0
    for case in cases:
        for mistake in mistakes.MISTAKES:
            output = mistake.compute(case["inputs"], case["filters"], case["strides"], case["padding"])
            grader = mistakes.diagnose(graded[case["id"]], output)
            assert check.diagnose(case, output, meta["tolerance"]) == (grader.name if grader else None)
            compared += grader is not None
    assert compared > 100
    assert meta["explanations"] == {m.name: m.explanation for m in mistakes.MISTAKES}


def test_the_self_check_gives_the_graders_feedback_on_a_mistake(tmp_path):
    folder = student_folder(tmp_path, convolution=EXAMPLE / "convolution.py")
    status, printed = run(folder, "check.py")
    assert status == 1
    assert "2.3   conv2d: output values (public cases)" in printed and "FAIL" in printed
    feedback = next(t.output for t in grade_submission(EXAMPLE).tests if t.number == "2.3")
    for paragraph in feedback.split("\n\n"):
        assert paragraph.replace("**", "") in printed, paragraph
    assert mistakes.MISTAKES_BY_NAME["symmetric_same_padding"].explanation in printed


def test_the_self_check_passes_the_solution_and_fails_the_stencil(tmp_path):
    status, printed = run(student_folder(tmp_path / "a", convolution=SOLUTION / "convolution.py"), "check.py")
    assert status == 0 and "FAIL" not in printed and printed.count("pass") == 3, printed
    status, printed = run(student_folder(tmp_path / "b"), "check.py")
    assert status == 1 and "conv2d raised `NotImplementedError: conv2d:" in printed


def test_pack_refuses_unfinished_work_and_missing_files(tmp_path):
    folder = student_folder(tmp_path, convolution=SOLUTION / "convolution.py")
    status, printed = run(folder, "pack.py")
    assert status == 1 and "refused: CNN.__init__ still raises NotImplementedError" in printed
    assert "conv2d" not in printed.split("refused")[1] and not (folder / "submission.zip").exists()
    (folder / "assignment.py").unlink()
    status, printed = run(folder, "pack.py")
    assert status == 1 and "refused: assignment.py missing" in printed


@pytest.mark.slow
def test_pack_writes_exactly_the_two_files(tmp_path):
    folder = student_folder(tmp_path, convolution=SOLUTION / "convolution.py", assignment=SOLUTION / "assignment.py")
    status, printed = run(folder, "pack.py")
    assert status == 0, printed
    with zipfile.ZipFile(folder / "submission.zip") as archive:
        assert sorted(archive.namelist()) == ["assignment.py", "convolution.py"]
        assert archive.read("convolution.py") == (SOLUTION / "convolution.py").read_bytes()


def test_pack_takes_a_notebook_and_warns_about_large_outputs(tmp_path):
    folder = student_folder(tmp_path)
    notebook = new_notebook(cells=[new_code_cell((SOLUTION / "convolution.py").read_text(), outputs=[
        new_output("display_data", data={"image/png": "A" * 6_000_000})])])
    nbformat.write(notebook, str(folder / "work.ipynb"))
    status, printed = run(folder, "pack.py", "work.ipynb")
    assert status == 0 and "warning: work.ipynb carries 6.0 MB of outputs" in printed, printed
    with zipfile.ZipFile(folder / "submission.zip") as archive:
        assert archive.namelist() == ["work.ipynb"]
    nbformat.write(new_notebook(cells=[new_code_cell("def conv2d():\n    raise NotImplementedError('todo')")]),
                   str(folder / "todo.ipynb"))
    status, printed = run(folder, "pack.py", "todo.ipynb")
    assert status == 1 and "refused: todo.ipynb still raises NotImplementedError" in printed
