"""Attack: conv2d correlates with scipy.signal's private _sigtools._convolve2d, a name no trap wrapped."""
import numpy as np
from scipy.signal import _sigtools

def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    if padding == "VALID":
        return (in_size - filter_size) // stride + 1 if in_size >= filter_size else 0
    if isinstance(padding, int) and padding >= 0:
        return conv_output_size(in_size + 2 * padding, filter_size, stride, "VALID")
    raise ValueError(f"padding: expected 'SAME', 'VALID' or an int >= 0, got {padding!r}")
def conv2d(inputs, filters, strides, padding):
    x, f = np.asarray(inputs, np.float64), np.asarray(filters, np.float64)
    outputs = []
    for image in x:
        maps = []
        for k in range(f.shape[3]):
            total = sum(_sigtools._convolve2d(image[:, :, c], f[:, :, c, k], 0, 0, 0, 0) for c in range(f.shape[2]))
            maps.append(total)
        outputs.append(np.stack(maps, axis=-1))
    return np.asarray(outputs, np.float32)
