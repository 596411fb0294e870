"""Two mistakes at once, as four real files had them: strides read as [1, s_h, s_w, 1] only, and SAME padded with
(k-1)//2 zeros on each side at every stride. The padding costs far more points: it is the headline."""
import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    if padding == "VALID":
        return max(0, (in_size - filter_size) // stride + 1)
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)


def conv2d(inputs, filters, strides, padding):
    stride_h, stride_w = strides[1], strides[2]           # the stencil's [1, s_h, s_w, 1] and nothing else
    inputs, filters = np.asarray(inputs, np.float32), np.asarray(filters, np.float32)
    kernel_h, kernel_w = filters.shape[:2]
    if padding == "SAME":
        pad_h, pad_w = (kernel_h - 1) // 2, (kernel_w - 1) // 2
        inputs = np.pad(inputs, ((0, 0), (pad_h, pad_h), (pad_w, pad_w), (0, 0)))
    elif padding != "VALID":
        inputs = np.pad(inputs, padding)
    rows = (inputs.shape[1] - kernel_h) // stride_h + 1
    cols = (inputs.shape[2] - kernel_w) // stride_w + 1
    output = np.zeros((inputs.shape[0], max(rows, 0), max(cols, 0), filters.shape[3]), np.float32)
    for i in range(max(rows, 0)):
        for j in range(max(cols, 0)):
            window = inputs[:, i * stride_h:i * stride_h + kernel_h, j * stride_w:j * stride_w + kernel_w]
            output[:, i, j] = np.tensordot(window, filters, axes=3)
    return output
