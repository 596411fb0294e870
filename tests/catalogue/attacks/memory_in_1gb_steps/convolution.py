"""Attack: Allocates (and touches) 1 GB more on every step, up to 50 GB."""
import numpy as np

def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)

def conv2d(inputs, filters, strides, padding):
    hoard = []
    for _ in range(50):
        hoard.append(np.ones(1 << 30, np.uint8))
    return hoard
