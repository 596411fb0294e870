"""The instructor's reference conv2d (solution/convolution.py), loaded by path without importing TensorFlow.

Loaded under its own module name, "reference_convolution", so that it can never be confused with (or replaced by)
a student's module called `convolution`. The grader uses it to time a student's conv2d against, and mistakes.py
uses it to compute what a student with a known mistake would get.
"""
import importlib.util
import sys
from pathlib import Path

REFERENCE_MODULE_NAME = "reference_convolution"
REFERENCE_PATH = Path(__file__).resolve().parent.parent / "solution" / "convolution.py"

# Merged into the sandboxed worker's environment (it must win over the grader's own), so that the student's conv2d
# runs its BLAS on one thread, like the reference, which the performance part times under threadpoolctl's limit of 1.
SINGLE_THREAD_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def reference_module():
    """solution/convolution.py as a module (loaded once, then cached in sys.modules)."""
    module = sys.modules.get(REFERENCE_MODULE_NAME)
    if module is None:
        if not REFERENCE_PATH.is_file():
            raise FileNotFoundError(f"the reference solution is missing: {REFERENCE_PATH}")
        spec = importlib.util.spec_from_file_location(REFERENCE_MODULE_NAME, REFERENCE_PATH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[REFERENCE_MODULE_NAME] = module
    return module


def reference_conv2d(inputs, filters, strides, padding):
    """The reference conv2d: inputs [N, H, W, C_in], filters [KH, KW, C_in, C_out] -> float32 [N, H', W', C_out],
    with tf.nn.conv2d's strides and padding rules (see solution/convolution.py)."""
    return reference_module().conv2d(inputs, filters, strides, padding)


def reference_conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    """The reference conv_output_size: one spatial output size for "SAME", "VALID" or an int padding."""
    return reference_module().conv_output_size(in_size, filter_size, stride, padding)
