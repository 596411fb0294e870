"""Attack: Prints 100 MB (1 MB at a time) inside conv2d."""
import numpy as np

def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)

def conv2d(inputs, filters, strides, padding):
    line = "x" * (1 << 20)
    for _ in range(100):
        print(line)
    return np.zeros((1,), np.float32)
