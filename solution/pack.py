"""Packs your submission into submission.zip, with exactly the files Gradescope needs. Run it here:

    python pack.py                    # convolution.py and assignment.py
    python pack.py my_work.ipynb      # or one notebook holding both (see the README's "Submitting a notebook")

It refuses (exit 1, no zip) when a required file is missing or one of your functions still raises
NotImplementedError, and warns about very large files and notebooks that carry large outputs. Upload the zip (or
the files in it) to Gradescope.
"""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ZIP_NAME = "submission.zip"
REQUIRED = ("convolution.py", "assignment.py")
LARGE_FILE_BYTES = 1024 * 1024          # a .py file this big is almost certainly a mistake
LARGE_OUTPUTS_BYTES = 5 * 1024 * 1024   # notebook outputs are ignored by the grader but slow the upload

# Runs in a separate Python, so that your code's imports and prints cannot disturb this script. Calls every
# function you write with small valid arguments and reports which still raise NotImplementedError.
PROBE = r"""
import json, os, sys
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
unfinished, errors = [], []

def probe(name, call):
    try:
        return call()
    except NotImplementedError:
        unfinished.append(name)
    except Exception as error:
        errors.append(f"{name}: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}")

import convolution
probe("conv_output_size", lambda: convolution.conv_output_size(4, 3, 1, "VALID"))
probe("conv2d", lambda: convolution.conv2d(np.ones((1, 4, 4, 1), np.float32), np.ones((3, 3, 1, 1), np.float32),
                                           1, "VALID"))
import assignment
model = probe("CNN.__init__", lambda: assignment.CNN(10))
if model is not None:
    images, labels = np.random.default_rng(0).random((8, 8, 8, 1), np.float32), np.arange(8) % 10
    logits = probe("CNN.call", lambda: model.call(images))
    if logits is not None:
        probe("CNN.loss", lambda: model.loss(logits, labels))
        probe("CNN.accuracy", lambda: model.accuracy(logits, labels))
    probe("train", lambda: assignment.train(model, images, labels))
    probe("test", lambda: assignment.test(model, images, labels))
print("PROBE" + json.dumps({"unfinished": unfinished, "errors": errors}))
"""


def probe_functions(folder):
    """({"unfinished": [...], "errors": [...]} , problem text) from running PROBE in `folder`."""
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=folder, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(folder)})
    for line in done.stdout.splitlines():
        if line.startswith("PROBE"):
            return json.loads(line[len("PROBE"):]), ""
    last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
    return None, f"your code could not be imported: {last}"


def notebook_problems(path):
    """(refusals, warnings) for a notebook: readable v4 JSON, no NotImplementedError left, outputs size."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        return [f"{path.name} is not a readable notebook ({error}); open it in Jupyter and save it again."], []
    if notebook.get("nbformat") != 4:
        return [f"{path.name} is in notebook format v{notebook.get('nbformat')}; save it with a current Jupyter "
                "(format v4)."], []
    code = ["".join(cell.get("source", "")) for cell in notebook.get("cells", []) if cell.get("cell_type") == "code"]
    refusals = [f"{path.name} still raises NotImplementedError; finish every TODO first."
                ] if any("raise NotImplementedError" in source for source in code) else []
    outputs = sum(len(json.dumps(cell.get("outputs", []))) for cell in notebook.get("cells", []))
    warnings = [f"{path.name} carries {outputs / 1e6:.1f} MB of outputs (ignored by the grader); clear them "
                "(Edit > Clear All Outputs) to upload faster."] if outputs > LARGE_OUTPUTS_BYTES else []
    return refusals, warnings


def pack(arguments, folder=HERE):
    """Write folder/submission.zip; returns the exit status (0 packed, 1 refused)."""
    folder = Path(folder)
    if arguments:
        files = [Path(arguments[0]) if Path(arguments[0]).is_absolute() else folder / arguments[0]]
        if files[0].suffix != ".ipynb" or not files[0].is_file():
            print(f"refused: {arguments[0]} is not a notebook file here. Run `python pack.py` for the .py files, "
                  "or `python pack.py NOTEBOOK.ipynb`.")
            return 1
        refusals, warnings = notebook_problems(files[0])
    else:
        files = [folder / name for name in REQUIRED]
        missing = [path.name for path in files if not path.is_file()]
        if missing:
            print(f"refused: {', '.join(missing)} missing in {folder}. Gradescope needs {' and '.join(REQUIRED)}.")
            return 1
        print("checking that every function is written (imports your code; the CNN needs TensorFlow) ...")
        report, problem = probe_functions(folder)
        if report is None:
            refusals, warnings = [f"{problem}. Fix it first: the autograder would score every part 0."], []
        else:
            refusals = [f"{name} still raises NotImplementedError; finish it first."
                        for name in report["unfinished"]]
            warnings = [f"{error} (with a tiny test input; the autograder will tell you more)"
                        for error in report["errors"]]
        warnings += [f"{path.name} is {path.stat().st_size / 1e6:.1f} MB; is something pasted into it by mistake?"
                     for path in files if path.stat().st_size > LARGE_FILE_BYTES]
    for warning in warnings:
        print(f"warning: {warning}")
    if refusals:
        for refusal in refusals:
            print(f"refused: {refusal}")
        return 1
    with zipfile.ZipFile(folder / ZIP_NAME, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.name)
    print(f"wrote {folder / ZIP_NAME} with {', '.join(path.name for path in files)}: upload it to Gradescope.")
    return 0


if __name__ == "__main__":
    sys.exit(pack(sys.argv[1:]))
