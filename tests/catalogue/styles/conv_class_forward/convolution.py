"""Style: an object-oriented Conv2D class with forward(), holding its hyper-parameters in self.params (a dict read by
string keys); conv2d makes one per call. Strides as [1, s_h, s_w, 1]. Correct."""
import numpy as np


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return int(np.ceil(in_size / stride))
    if padding == "VALID":
        return max(0, int(np.floor((in_size - filter_size) / stride)) + 1)
    return max(0, int(np.floor((in_size + 2 * padding - filter_size) / stride)) + 1)


class Conv2D:
    def __init__(self, weights, strides, padding):
        self.W = np.asarray(weights, np.float32)
        self.params = {"stride": (strides[1], strides[2]), "padding": padding}

    def pad(self, x):
        kh, kw = self.W.shape[:2]
        sh, sw = self.params["stride"]
        if self.params["padding"] == "VALID":
            return x
        if self.params["padding"] == "SAME":
            th = max((conv_output_size(x.shape[1], kh, sh, "SAME") - 1) * sh + kh - x.shape[1], 0)
            tw = max((conv_output_size(x.shape[2], kw, sw, "SAME") - 1) * sw + kw - x.shape[2], 0)
            return np.pad(x, ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)))
        return np.pad(x, [tuple(p) for p in self.params["padding"]])

    def forward(self, x):
        x = self.pad(np.asarray(x, np.float32))
        kh, kw, _, kout = self.W.shape
        sh, sw = self.params["stride"]
        oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
        out = np.zeros((x.shape[0], max(oh, 0), max(ow, 0), kout), np.float32)
        flat_w = self.W.reshape(-1, kout)
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                out[:, i, j, :] = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :].reshape(x.shape[0], -1) @ flat_w
        return out


def conv2d(inputs, filters, strides, padding):
    return Conv2D(filters, strides, padding).forward(inputs)
