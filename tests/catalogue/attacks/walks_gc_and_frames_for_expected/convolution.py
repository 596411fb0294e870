"""Attack: Searches every live object (gc) and every stack frame's locals for an array of the output's shape, hoping to find the expected answer, and returns it."""
import gc
import sys

import numpy as np

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
    shape = output_shape(inputs, filters, strides, padding)
    frame = sys._getframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if isinstance(value, np.ndarray) and value.shape == shape and value is not inputs:
                return value
        frame = frame.f_back
    for value in gc.get_objects():
        if isinstance(value, np.ndarray) and value.shape == shape and value is not inputs and value.any():
            return value
    return np.zeros(shape, np.float32)
