"""Style: the arguments go into a settings dict first, read back by string keys (cfg["stride_h"]) - the layer-config
habit of many courses. Correct."""
import math

import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return math.ceil(in_size / stride)
    if padding == "VALID":
        return math.ceil((in_size - filter_size + 1) / stride) if in_size >= filter_size else 0
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)


def make_config(filters, strides, padding):
    if isinstance(strides, int):
        strides = [strides, strides]
    strides = list(strides)
    if len(strides) == 4:
        strides = strides[1:3]
    elif len(strides) == 1:
        strides = strides * 2
    return {"kernel_h": filters.shape[0], "kernel_w": filters.shape[1], "stride_h": int(strides[0]),
            "stride_w": int(strides[1]), "padding": padding}


def padding_amounts(cfg, height, width):
    if cfg["padding"] == "VALID":
        return (0, 0), (0, 0)
    if cfg["padding"] == "SAME":
        out_h, out_w = math.ceil(height / cfg["stride_h"]), math.ceil(width / cfg["stride_w"])
        total_h = max((out_h - 1) * cfg["stride_h"] + cfg["kernel_h"] - height, 0)
        total_w = max((out_w - 1) * cfg["stride_w"] + cfg["kernel_w"] - width, 0)
        return (total_h // 2, total_h - total_h // 2), (total_w // 2, total_w - total_w // 2)
    return tuple(cfg["padding"][1]), tuple(cfg["padding"][2])


def conv2d(inputs, filters, strides, padding):
    inputs = np.asarray(inputs, dtype=np.float32)
    filters = np.asarray(filters, dtype=np.float32)
    cfg = make_config(filters, strides, padding)
    pad_h, pad_w = padding_amounts(cfg, inputs.shape[1], inputs.shape[2])
    x = np.pad(inputs, [(0, 0), pad_h, pad_w, (0, 0)])
    out_h = (x.shape[1] - cfg["kernel_h"]) // cfg["stride_h"] + 1
    out_w = (x.shape[2] - cfg["kernel_w"]) // cfg["stride_w"] + 1
    out = np.zeros((inputs.shape[0], max(out_h, 0), max(out_w, 0), filters.shape[3]), dtype=np.float32)
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            top, left = i * cfg["stride_h"], j * cfg["stride_w"]
            patch = x[:, top:top + cfg["kernel_h"], left:left + cfg["kernel_w"], :]
            out[:, i, j, :] = np.tensordot(patch, filters, axes=([1, 2, 3], [0, 1, 2]))
    return out
