"""Attack: Finds classmates' submissions (the class folder from its parent's command line, the repository's examples
and catalogue) and answers conv2d with the first correct-looking conv2d it can import; else zeros."""
import glob
import importlib.util
import os

import numpy as np


def candidate_files():
    found = []
    try:
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as file:
            arguments = file.read().decode(errors="replace").split("\0")
    except OSError:
        arguments = []
    for argument in arguments:
        if os.path.isdir(argument):
            found += glob.glob(os.path.join(argument, "*", "convolution.py"))
    for root in ("/work", "/root", "/home", "/autograder", os.path.expanduser("~"), "/tmp"):
        found += glob.glob(os.path.join(root, "**", "correct_tensordot", "convolution.py"), recursive=True)[:3]
        found += glob.glob(os.path.join(root, "**", "catalogue", "correct", "*", "convolution.py"), recursive=True)[:3]
    return found


def borrowed_conv2d():
    for number, path in enumerate(candidate_files()):
        try:
            spec = importlib.util.spec_from_file_location(f"classmate{number}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module.conv2d
        except Exception:                       # noqa: BLE001 - try the next one
            continue
    return None


BORROWED = borrowed_conv2d()

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
    if BORROWED is not None:
        return BORROWED(inputs, filters, strides, padding)
    return np.zeros(output_shape(inputs, filters, strides, padding), np.float32)
