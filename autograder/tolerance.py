"""What "the same conv2d output" means, in one place: same shape, and every value within config.tolerance.

Used by the grading (GradingSession.is_right, the argument forms, the performance layer), the known mistakes
(mistakes.exposed / diagnose), the fixture build's cross-check against the reference and the self-check's data.
"""
import numpy as np

from autograder.config import CONFIG
from autograder.reference import reference_conv2d


def same_output(first, second, tolerance=CONFIG.tolerance):
    """Same shape and allclose within `tolerance` (a config.Tolerance: |a - b| <= atol + rtol * |b|)."""
    first, second = np.asarray(first), np.asarray(second)
    return first.shape == second.shape and np.allclose(first, second, rtol=tolerance.rtol, atol=tolerance.atol)


# Rebuilt data against committed data. Float sums are not reproducible bit for bit across CPUs (SIMD widths, FMA,
# the order TensorFlow's kernels add in): a value rebuilt elsewhere is the same when it differs by no more than a
# few dozen roundings of the sum behind it. Only the fixture and self-check rebuilds use this; grading uses
# same_output. Measured: an AMD EPYC rebuild differed by 1.2e-6 (about 10 roundings) on one of 50 values.
REBUILD_ROUNDINGS = 64


def conv_magnitude(inputs, filters, strides, padding):
    """The scale of the rounding in each conv2d output: sum over its window of |input| * |filter|.
    inputs [N, H, W, C_in], filters [KH, KW, C_in, C_out] -> float64 [N, H', W', C_out] (tf.nn.conv2d's strides and
    padding rules)."""
    magnitude = reference_conv2d(np.abs(np.asarray(inputs, np.float64)), np.abs(np.asarray(filters, np.float64)),
                                 strides, padding)
    return np.asarray(magnitude, np.float64)


def same_rebuild(committed, rebuilt, magnitude, summed_in=None):
    """Is `rebuilt` the `committed` array up to float rounding on another machine? Same shape and dtype; integers
    exactly; floats within REBUILD_ROUNDINGS * eps(summed_in) * magnitude. magnitude (broadcastable to the arrays):
    the sum of |terms| behind each value, 0 for data that is not a sum; summed_in: the dtype the sums were computed
    in (default: the arrays' own; float32 sums stored as float64 round as float32)."""
    committed, rebuilt = np.asarray(committed), np.asarray(rebuilt)
    if committed.shape != rebuilt.shape or committed.dtype != rebuilt.dtype:
        return False
    if committed.dtype.kind != "f":
        return bool(np.array_equal(committed, rebuilt))
    precision = np.finfo(committed.dtype if summed_in is None else summed_in).eps
    bound = REBUILD_ROUNDINGS * precision * np.asarray(magnitude, np.float64)
    difference = np.abs(committed.astype(np.float64) - rebuilt.astype(np.float64))
    return bool(np.all((difference <= bound) | (np.isnan(committed) & np.isnan(rebuilt))))
