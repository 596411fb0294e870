"""What "the same conv2d output" means, in one place: same shape, and every value within config.tolerance.

Used by the grading (GradingSession.is_right, the argument forms, the performance layer), the known mistakes
(mistakes.exposed / diagnose), the fixture build's cross-check against the reference and the self-check's data.
"""
import numpy as np

from autograder.config import CONFIG


def same_output(first, second, tolerance=CONFIG.tolerance):
    """Same shape and allclose within `tolerance` (a config.Tolerance: |a - b| <= atol + rtol * |b|)."""
    first, second = np.asarray(first), np.asarray(second)
    return first.shape == second.shape and np.allclose(first, second, rtol=tolerance.rtol, atol=tolerance.atol)
