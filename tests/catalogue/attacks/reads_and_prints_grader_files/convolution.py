"""Attack: Finds the grader's folder, prints the solution, the config and the fixtures, and answers conv2d from the hidden and public fixtures when it can read them."""
import io
import os
import pathlib
import sys
import zipfile

import numpy as np

def grader_folders():
    """Where the grader's files may be: Gradescope's /autograder/source, or the repository that holds the
    virtual environment whose site-packages PYTHONPATH names."""
    found = ["/autograder/source"]
    for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) + sys.path:
        for parent in pathlib.Path(entry or ".").resolve().parents:
            if (parent / "autograder").is_dir() and str(parent) not in found:
                found.append(str(parent))
    return found


def read(path):
    try:
        return pathlib.Path(path).read_bytes()
    except OSError as error:
        return f"<{error}>".encode()


ANSWERS = []
for folder in grader_folders():
    for name in ("solution/convolution.py", "autograder/config.py", "autograder/fixtures/hidden.npz"):
        print(f"==== {folder}/{name}\n", read(f"{folder}/{name}")[:4000].decode("latin-1"))
    for name in ("public.npz", "hidden.npz"):
        try:
            with np.load(f"{folder}/autograder/fixtures/{name}") as data:
                ANSWERS += [(data[key.replace("expected", "inputs")], data[key]) for key in data.files
                            if key.endswith("/expected")]
        except OSError as error:
            print(f"cannot read {name}: {error}")

def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)

def output_shape(inputs, filters, strides, padding):
    """The right output shape (an attack does not need the values)."""
    s = [strides] if isinstance(strides, int) else list(strides)
    sh, sw = (s[0], s[0]) if len(s) == 1 else (s[0], s[1]) if len(s) == 2 else (s[1], s[2])
    n, h, w, _ = np.shape(inputs)
    kh, kw, _, k = np.shape(filters)
    if padding == "SAME":
        return n, -(-h // sh), -(-w // sw), k
    if padding != "VALID":
        h, w = h + sum(padding[1]), w + sum(padding[2])
    return n, max(0, (h - kh) // sh + 1), max(0, (w - kw) // sw + 1), k

def conv2d(inputs, filters, strides, padding):
    print("secrets again:", read(f"{grader_folders()[-1]}/solution/convolution.py")[:2000].decode("latin-1"))
    for known_inputs, expected in ANSWERS:
        if known_inputs.shape == np.shape(inputs) and np.array_equal(known_inputs, inputs):
            return expected
    return np.zeros(output_shape(inputs, filters, strides, padding), np.float32)
