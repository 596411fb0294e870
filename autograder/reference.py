"""The instructor's reference conv2d (solution/convolution.py), loaded by path without importing TensorFlow.

Loaded under its own module name, "reference_convolution", so that it can never be confused with (or replaced by)
a student's module called `convolution`. The grader uses it to time a student's conv2d against, and mistakes.py
uses it to compute what a student with a known mistake would get.
"""
import importlib.util
import sys

from autograder.paths import SOLUTION

REFERENCE_MODULE_NAME = "reference_convolution"
REFERENCE_PATH = SOLUTION / "convolution.py"

# The environment the performance part's two sides are timed in: the sandboxed worker's (merged over whatever the
# grader passes on) and the reference process's (autograder/cases/performance.py). One BLAS thread each, so that
# neither side's threads fight the other's for the cores. And an allocator that keeps its heap between calls: with
# glibc's default, adaptive thresholds, the worker (whose requests between two conv2d calls allocate and free arrays
# of a few MB) gave its heap back and page-faulted ~8 MB of fresh pages in every call, 2-4 ms on a 2.4 ms layer,
# while a process doing nothing else did not. Fixed thresholds: blocks under 16 MB come from the heap, and it is
# trimmed only when 32 MB at its top are free, so at most that much freed memory stays resident.
BLAS_THREAD_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
STEADY_ALLOCATOR_ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": str(16 << 20), "MALLOC_TRIM_THRESHOLD_": str(32 << 20)}
TIMING_ENVIRONMENT = {**BLAS_THREAD_ENVIRONMENT, **STEADY_ALLOCATOR_ENVIRONMENT}
SINGLE_THREAD_ENVIRONMENT = TIMING_ENVIRONMENT      # the name the worker's environment imports: the whole of it


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
