"""Attack: Returns objects whose __eq__ is always True and whose __array__ / numpy() hand over zeros: an ndarray subclass and a class posing as a TensorFlow tensor."""
import numpy as np


class AlwaysEqual(np.ndarray):
    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.zeros(self.shape, np.float32)


class FakeTensor:
    __module__ = "tensorflow.python.framework.ops"

    def __init__(self, shape):
        self.shape = shape

    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.zeros(self.shape, np.float32)

    def numpy(self):
        return self

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
    if np.shape(inputs)[0] > 1:
        return FakeTensor(shape)
    return np.zeros(shape, np.float32).view(AlwaysEqual)
