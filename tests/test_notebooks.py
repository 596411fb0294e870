"""Notebooks: real .ipynb files written with nbformat, read by intake, imported in real processes, graded for real;
and the release notebook, executed top to bottom with a real kernel."""
import ast
import base64
import json
import subprocess
import sys
import time

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from autograder import intake, notebooks, report
from autograder.grade import grade_submission
from conftest import ROOT, SOLUTION, STENCIL

CONVOLUTION = (SOLUTION / "convolution.py").read_text()
ASSIGNMENT = (SOLUTION / "assignment.py").read_text()
CHECK_CONV2D = ("import numpy as np\n"
                "image = np.array([[2,0,1,3],[7,1,1,0],[0,2,5,0],[0,5,1,4]], np.float32).reshape(1, 4, 4, 1)\n"
                "kernel = np.array([[1,1,1],[0,0,0],[-1,-1,-1]], np.float32).reshape(3, 3, 1, 1)\n"
                "print(convolution.conv2d(image, kernel, 1, 'VALID').ravel().tolist())\n")


def cells_of(source):
    """A .py file as notebook cells, one per top-level block, as a student pastes it."""
    tree = ast.parse(source)
    lines = source.splitlines()
    starts = [min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) for node in tree.body]
    starts[0] = 1
    return [new_code_cell("\n".join(lines[start - 1:end - 1]).strip())
            for start, end in zip(starts, starts[1:] + [len(lines) + 1])]


def solution_notebook(*extra_cells, with_model=True):
    cells = [new_markdown_cell("# Convolution by hand")] + cells_of(CONVOLUTION)
    if with_model:
        cells += [new_markdown_cell("## The CNN")] + cells_of(ASSIGNMENT)
    return new_notebook(cells=cells + list(extra_cells))


def write(notebook, path):
    nbformat.write(notebook, str(path))
    return path


def import_staged(staged, code=CHECK_CONV2D, modules=("convolution",)):
    """Run `code` after importing the staged modules in a fresh Python: (stdout, stderr)."""
    program = "".join(f"import {module}\n" for module in modules) + code
    done = subprocess.run([sys.executable, "-c", program], cwd=staged.directory, capture_output=True, text=True,
                          timeout=120, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return done.stdout, done.stderr


def notes_of(staged):
    return "\n".join(staged.notes)


LECTURE_RESULT = "[-4.0, -3.0, 3.0, -8.0]\n"


# ------------------------------------------------------------------------------------------- the keep rule

@pytest.mark.slow
def test_solution_as_a_messy_notebook_scores_full_marks_and_says_what_was_left_out(tmp_path):
    notebook = solution_notebook(
        new_code_cell("%matplotlib inline\n!pip install tensorflow"),
        new_code_cell("def scratch(:\n    return 1"),
        new_code_cell("model = CNN(10)\nlosses = train(model, *get_data()[:2])\nprint(losses)"))
    result = grade_submission(write(notebook, tmp_path / "homework.ipynb"))
    report.write_submission(result, tmp_path / "out")
    assert result.status == "graded"
    assert result.score == result.max_score, [(t.number, t.output) for t in result.tests if not t.passed]
    shown = json.loads((tmp_path / "out" / "results.json").read_text())["output"]
    cells = len(notebook.cells)
    assert f"cell {cells - 2} (`%matplotlib inline`): 2 magic/shell lines not run" in shown
    assert f"cell {cells - 1} (`def scratch(:`): left out whole: not valid Python (line 1" in shown
    assert f"cell {cells} (`model = CNN(10)`): not run: `model = CNN(10)` (line 1)" in shown


def test_a_cell_with_a_syntax_error_is_left_out_whole_and_named(tmp_path):
    notebook = solution_notebook(new_code_cell("x = [1, 2\nprint(x)"), with_model=False)
    staged = intake.stage(write(notebook, tmp_path / "nb.ipynb"), tmp_path / "staged")
    assert f"cell {len(notebook.cells)} (`x = [1, 2`): left out whole: not valid Python" in notes_of(staged)
    stdout, _ = import_staged(staged)
    assert stdout == LECTURE_RESULT


def test_magics_and_shell_lines_are_never_run(tmp_path):
    marker = tmp_path / "shell-ran"
    notebook = solution_notebook(
        new_code_cell(f"!touch {marker}\n%env SECRET=1\nfiles = !ls\n%time y = 1\nimport os"),
        new_code_cell(f"%%bash\ntouch {marker}"),
        new_code_cell(f"def helper():\n    !touch {marker}\n    return 3"),
        with_model=False)
    staged = intake.stage(write(notebook, tmp_path / "nb.ipynb"), tmp_path / "staged")
    notes = notes_of(staged)
    count = len(notebook.cells)
    line_of = {line.split(" (")[0]: line for line in notes.splitlines()}
    assert line_of[f"- cell {count - 2}"].endswith("): 4 magic/shell lines not run")
    assert f"cell {count - 1} (`%%bash`): left out whole: a cell magic" in notes
    assert f"cell {count} (`def helper():`): 1 magic/shell line not run" in notes
    stdout, _ = import_staged(staged, CHECK_CONV2D + "print(convolution.helper())\n")
    assert stdout == LECTURE_RESULT + "3\n"
    assert not marker.exists()


def test_training_and_printing_at_the_top_level_do_not_run_at_import(tmp_path):
    marker = tmp_path / "trained"
    notebook = solution_notebook(
        new_code_cell("train_inputs, train_labels, test_inputs, test_labels = get_data()\nmodel = CNN(10)"),
        new_code_cell("for epoch in range(3):\n    train(model, train_inputs, train_labels)\n"
                      f"open({str(marker)!r}, 'w').write('trained')"),
        new_code_cell("history = model.fit(train_inputs, train_labels)\nprint(test(model, test_inputs, test_labels))"),
        new_code_cell("main()\nEPOCHS = 2  # a setting is kept"),
        new_code_cell("if __name__ == '__main__':\n    main()"))
    staged = intake.stage(write(notebook, tmp_path / "nb.ipynb"), tmp_path / "staged")
    notes = notes_of(staged)
    assert "= ge...` (line 1), `model = CNN(10)` (line 2)" in notes
    assert "not run: `history = model.fit(train_inputs, train_labels)` (line 1)" in notes  # uses a left-out name
    assert "not run: `main()` (line 1)" in notes and "EPOCHS" not in notes
    stdout, _ = import_staged(staged, "print(assignment.EPOCHS, callable(assignment.train), "
                                      "issubclass(assignment.CNN, assignment.tf.keras.Model))\n",
                              modules=("assignment",))
    assert stdout == "2 True True\n", "imported without training or printing"
    assert not marker.exists()


def test_a_clean_notebook_has_no_notes(tmp_path):
    notebook = new_notebook(cells=[new_code_cell(CONVOLUTION)])
    staged = intake.stage(write(notebook, tmp_path / "nb.ipynb"), tmp_path / "staged")
    assert staged.notes == []
    assert import_staged(staged)[0] == LECTURE_RESULT


# ----------------------------------------------------------------------------------------- reading the file

def test_an_old_minor_version_is_read(tmp_path):
    for minor in (0, 4):
        notebook = solution_notebook(with_model=False)
        raw = json.loads(nbformat.writes(notebook))
        raw["nbformat_minor"] = minor
        assert isinstance(raw["cells"][1]["source"], list)    # sources stored as lists of lines, as on disk
        for cell in raw["cells"]:
            cell.pop("id")              # cell ids arrived in 4.5; a 4.0 notebook must not have them
        path = tmp_path / f"old{minor}.ipynb"
        path.write_text(json.dumps(raw))
        assert nbformat.validate(nbformat.from_dict(raw)) is None
        staged = intake.stage(path, tmp_path / f"staged{minor}")
        assert import_staged(staged)[0] == LECTURE_RESULT


def test_a_corrupt_notebook_is_a_clear_error(tmp_path):
    text = nbformat.writes(solution_notebook(with_model=False))
    path = tmp_path / "homework.ipynb"
    path.write_text(text[:len(text) // 2])       # cut off, as by an interrupted upload
    with pytest.raises(intake.SubmissionError, match=r"`homework.ipynb` is not a readable Jupyter notebook: "
                                                     r"the file is not valid JSON"):
        intake.stage(path, tmp_path / "staged")
    result = grade_submission(path)
    report.write_submission(result, tmp_path / "out")
    assert result.status == "error" and result.score == 0
    assert "not valid JSON" in json.loads((tmp_path / "out" / "results.json").read_text())["output"]


def test_a_schema_violation_is_a_clear_error(tmp_path):
    raw = json.loads(nbformat.writes(solution_notebook(with_model=False)))
    raw["cells"][1]["cell_type"] = "python"
    path = tmp_path / "bad.ipynb"
    path.write_text(json.dumps(raw))
    with pytest.raises(intake.SubmissionError, match=r"not a valid v4.5 notebook \(at cells/1"):
        intake.stage(path, tmp_path / "staged")


def test_a_v3_notebook_is_refused_with_what_to_do(tmp_path):
    from nbformat import v3
    old = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[v3.new_code_cell(input=CONVOLUTION)])])
    path = tmp_path / "old.ipynb"
    path.write_text(nbformat.writes(old, version=3))
    with pytest.raises(intake.SubmissionError, match=r"saved in notebook format v3.*File > Save"):
        intake.stage(path, tmp_path / "staged")


def test_stored_outputs_are_ignored_even_15_megabytes_of_images(tmp_path):
    picture = base64.b64encode(bytes(range(256)) * (1024 * 1024 // 256)).decode()   # ~1.4 MB as base64
    notebook = solution_notebook(with_model=False)
    clean_module, _ = notebooks.notebook_module(write(notebook, tmp_path / "clean.ipynb"))
    for cell in notebook.cells[1:9]:
        cell.outputs = [new_output("display_data", data={"image/png": picture}),
                        new_output("stream", name="stdout", text="training...\n")]
        cell.execution_count = 1
    path = write(notebook, tmp_path / "heavy.ipynb")
    assert path.stat().st_size > 10 * 1024 * 1024
    module, report = notebooks.notebook_module(path)
    assert module == clean_module.replace("clean.ipynb", "heavy.ipynb") and report.notes() == []
    staged = intake.stage(path, tmp_path / "staged")
    assert import_staged(staged)[0] == LECTURE_RESULT


# ------------------------------------------------------------------------ bounded work in the grading process

# Runs intake in a fresh Python, as the grading process does, and reports its cost: (outcome, seconds, peak MB).
MEASURED_INTAKE = """
import json, re, sys, time
from autograder import intake
started = time.monotonic()
try:
    staged = intake.stage(sys.argv[1], sys.argv[2])
    outcome = "staged: " + " ".join(staged.notes)
except intake.SubmissionError as error:
    outcome = "refused: " + str(error)
seconds = time.monotonic() - started
with open("/proc/self/status") as status:   # this process's own peak (ru_maxrss would include the parent's)
    peak_kb = int(re.search(r"VmHWM:\\s+(\\d+)", status.read()).group(1))
print(json.dumps([outcome, seconds, peak_kb / 1024]))
"""


def measured_intake(path, tmp_path):
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", MEASURED_INTAKE, str(path), str(tmp_path / "staged")],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def compact_notebook(cells, path):
    """A notebook written the shortest way (as a hostile one is): no indentation, cells as given."""
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 4, "metadata": {}, "cells": cells},
                               separators=(",", ":")))
    return path


CODE_CELL = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": CONVOLUTION}
EMPTY_CELL = {"cell_type": "markdown", "metadata": {}, "source": ""}


def test_a_300000_cell_notebook_is_refused_in_well_under_a_few_seconds_and_tens_of_mb(tmp_path):
    # Before the bounds, 100,000 such cells cost the grading process 10-70 s and 340 MB, 300,000 over 1 GB.
    path = compact_notebook([CODE_CELL] + [EMPTY_CELL] * 300_000, tmp_path / "convolution.ipynb")
    assert 10 * 1024 * 1024 < path.stat().st_size < notebooks.MAX_NOTEBOOK_BYTES
    outcome, seconds, peak_mb = measured_intake(path, tmp_path)
    # measured 0.06 s and 46 MB (of which ~38 MB is Python with the grader's imports)
    assert outcome.startswith("refused: `convolution.ipynb` holds more than 100,000 cells, lines and other entries")
    assert "Delete empty and unneeded cells" in outcome
    assert seconds < 3 and peak_mb < 150
    result = grade_submission(path)         # what the student reads: the limit and what to do, not a grader fault
    assert result.status == "error" and "holds more than 100,000 cells" in result.output
    assert "not your fault" not in result.output


def test_a_notebook_at_the_cell_limit_is_read_in_under_a_few_seconds(tmp_path):
    path = compact_notebook([CODE_CELL] + [EMPTY_CELL] * (notebooks.MAX_CELLS - 1), tmp_path / "convolution.ipynb")
    outcome, seconds, peak_mb = measured_intake(path, tmp_path)
    assert outcome.startswith("staged"), outcome
    assert seconds < 5 and peak_mb < 150       # measured 0.4-0.8 s (half of it nbformat's first use) and 43 MB
    assert import_staged(intake.stage(path, tmp_path / "again"))[0] == LECTURE_RESULT
    compact_notebook([CODE_CELL] + [EMPTY_CELL] * notebooks.MAX_CELLS, path)
    with pytest.raises(intake.SubmissionError, match=rf"has {notebooks.MAX_CELLS + 1:,} cells; the autograder "
                                                     rf"reads notebooks of at most {notebooks.MAX_CELLS:,} cells"):
        intake.stage(path, tmp_path / "staged")


@pytest.mark.parametrize("text, limit", [
    ('{"nbformat": 4, "metadata": ' + "[" * 100_000 + "]" * 100_000 + ', "cells": []}', "more than 100,000"),
    ('{"nbformat": 4, "metadata": ' + "[" * 5_000 + "]" * 5_000 + ', "cells": []}', "nests lists and objects"),
    ('{"nbformat": 4, "metadata": {}, "cells": [' + '"\\n",' * 600_000 + '""]}', "more than 100,000"),
    ('{"nbformat": 4, "metadata": {}, "cells": [' + '"",' * 200_000 + '""]}', "more than 100,000"),
    ('{"nbformat": 4, "metadata": {}, "cells": [' + "1," * 200_000 + '1]}', "more than 100,000"),
    ('{"nbformat": 4, "metadata": {}, "cells": [], "x": "' + "\\\"" * 3_000_000 + '"}', "more than 100,000"),
])
def test_floods_of_json_are_refused_before_they_are_parsed(tmp_path, text, limit):
    path = tmp_path / "convolution.ipynb"
    path.write_text(text)
    started = time.monotonic()
    with pytest.raises(intake.SubmissionError, match=limit):
        intake.stage(path, tmp_path / "staged")
    assert time.monotonic() - started < 3          # measured 0.01-0.1 s


def test_a_notebook_over_the_byte_limit_is_refused_with_what_to_do(tmp_path):
    notebook = solution_notebook(with_model=False)
    notebook.cells[1].outputs = [new_output("stream", name="stdout", text="x" * notebooks.MAX_NOTEBOOK_BYTES)]
    staged = intake.stage(write(notebook, tmp_path / "convolution.ipynb"), tmp_path / "staged")
    assert "larger than 20 MB" in notes_of(staged) and "Clear All Outputs" in notes_of(staged)


@pytest.mark.parametrize("code", ["x = " + "+".join(["1"] * 20_000), "x = " + "not " * 10_000 + "y"])
def test_code_nested_beyond_the_parser_is_a_clear_error_not_a_grader_failure(tmp_path, code):
    path = write(new_notebook(cells=cells_of(CONVOLUTION) + [new_code_cell(code)]), tmp_path / "deep.ipynb")
    with pytest.raises(intake.SubmissionError, match="nested too deeply"):
        intake.stage(path, tmp_path / "staged")
    result = grade_submission(path)
    assert result.status == "error" and "nested too deeply" in result.output and "not your fault" not in result.output


# -------------------------------------------------------------------------------- notebooks beside .py files

def test_a_notebook_beside_a_py_file_stands_for_its_module(tmp_path):
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "convolution.py").write_text(CONVOLUTION)
    write(new_notebook(cells=cells_of(ASSIGNMENT)), folder / "assignment.ipynb")
    write(new_notebook(cells=[new_code_cell("raise RuntimeError('a scratch notebook is not graded')")]),
          folder / "scratch.ipynb")
    staged = intake.stage(folder, tmp_path / "staged")
    assert staged.modules == ("convolution", "assignment")
    assert (staged.directory / "convolution.py").read_text() == CONVOLUTION
    assert "class CNN(tf.keras.Model)" in (staged.directory / "assignment.py").read_text()


def test_a_folder_with_one_notebook_is_a_notebook_submission(tmp_path):
    folder = tmp_path / "upload"
    folder.mkdir()
    write(solution_notebook(with_model=False), folder / "my_homework.ipynb")
    staged = intake.stage(folder, tmp_path / "staged")
    assert staged.modules == ("convolution", "assignment")
    assert import_staged(staged)[0] == LECTURE_RESULT


# ------------------------------------------------------------------------------------------ the release notebook

WALKTHROUGH = "convolution_walkthrough.ipynb"


@pytest.mark.slow
def test_the_solution_walkthrough_runs_top_to_bottom_in_this_python_and_draws_its_figures(tmp_path):
    import shutil

    from nbclient import NotebookClient

    for path in list(SOLUTION.glob("*.py")) + [SOLUTION / WALKTHROUGH]:
        shutil.copy(path, tmp_path)
    notebook = nbformat.read(str(tmp_path / WALKTHROUGH), as_version=4)
    notebook.cells.append(new_code_cell("import sys\nprint(sys.executable)"))
    # The "python3" kernel spec says `python`; jupyter_client runs it as this interpreter (the venv's).
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    figures = [cell for cell in notebook.cells if cell.cell_type == "code"
               and any("image/png" in output.get("data", {}) for output in cell.outputs)]
    assert len(figures) == 5, "worked examples, photo filters, strides, loss curve, learned filters"
    assert notebook.cells[-1].outputs[0]["text"].strip() == sys.executable
    printed = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.outputs)
    assert "horizontal edges: [[-4.0, -3.0], [3.0, -8.0]]" in printed
    assert "test accuracy with your conv2d:" in printed


def test_the_stencil_walkthrough_is_in_sync_valid_and_without_outputs_or_answers():
    from autograder.stencil import transform_notebook

    solution_text = (SOLUTION / WALKTHROUGH).read_text(encoding="utf-8")
    stencil_text = (STENCIL / WALKTHROUGH).read_text(encoding="utf-8")
    assert stencil_text == transform_notebook(solution_text, WALKTHROUGH), "run `make stencil`"
    stencil = nbformat.reads(stencil_text, as_version=4)
    nbformat.validate(stencil)
    code = [cell for cell in stencil.cells if cell.cell_type == "code"]
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)
    sources = "\n".join(cell.source for cell in code)
    assert "raise NotImplementedError(\"vertical_sobel:" in sources and "BEGIN SOLUTION" not in sources
    assert "[[1, 0, -1], [2, 0, -2], [1, 0, -1]], np.float32)" not in sources


def test_the_notebook_transform_clears_outputs_and_is_byte_reproducible():
    from autograder.stencil import StencilError, transform_notebook

    notebook = new_notebook(cells=[
        new_markdown_cell("# Exercise"),
        new_code_cell("def double(x):\n    # BEGIN SOLUTION: twice x\n    return 2 * x\n    # END SOLUTION",
                      outputs=[new_output("stream", name="stdout", text="old output")], execution_count=4)])
    text = nbformat.writes(notebook)
    once = transform_notebook(text, "exercise.ipynb")
    assert once == transform_notebook(text, "exercise.ipynb")
    cell = nbformat.reads(once, as_version=4).cells[1]
    assert cell.source == "def double(x):\n    # TODO: twice x\n    raise NotImplementedError(\"double: twice x\")"
    assert cell.outputs == [] and cell.execution_count is None
    notebook.cells[1].source = "def double(x):\n    # BEGIN SOLUTION\n    return 2 * x"
    with pytest.raises(StencilError, match=r"exercise.ipynb \(cell 2\).*never closed"):
        transform_notebook(nbformat.writes(notebook), "exercise.ipynb")


def test_errors_name_the_notebook_cell_and_line_and_a_broken_cell_explains_a_missing_function(tmp_path):
    """Errors in a notebook point at the cell and its line (never at a convolution.py the student never wrote); a
    conv2d whose cell is not valid Python is reported as that syntax error; Colab's imports do nothing."""
    notebook = new_notebook(cells=[
        new_markdown_cell("# Homework"),
        new_code_cell("from google.colab import drive\ndrive.mount('/content/drive')\nimport numpy as np"),
        new_code_cell("def conv_output_size(in_size, filter_size, stride=1, padding='VALID'):\n"
                      "    # the size\n"
                      "    return in_size // (stride - stride)"),
        new_code_cell("def conv2d(inputs, filters, strides, padding):\n    x = np.asarray(inputs\n    return x"),
    ])
    result = grade_submission(write(notebook, tmp_path / "hw.ipynb"))
    outputs = {test.number: test.output for test in result.tests}
    assert "ZeroDivisionError" in outputs["1.1"] and "hw.ipynb cell 3, line 3" in outputs["1.1"]
    assert "(cell 4 of hw.ipynb was left out: not valid Python (line 2: '(' was never closed))" in outputs["2.2"]
    shown = json.dumps(report.gradescope_results(result))
    assert "convolution.py" not in shown and "circular import" not in shown and "/run/" not in shown
    assert "import-error" not in " ".join(result.flags)      # google.colab imported
