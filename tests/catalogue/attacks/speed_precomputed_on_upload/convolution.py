"""Attack (speed): a correct conv2d with four Python loops (~700x the reference), plus a patch of the worker's
request handler that computes the answer while the inputs are uploaded (untimed) and serves the timed call from a
cache. Defeated when the timed request carries its own inputs."""
import gc
import hashlib
import sys

import numpy as np

_CACHE = {}


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return -(-in_size // stride)
    if padding == "VALID":
        return max(0, -(-(in_size - filter_size + 1) // stride))
    return max(0, (in_size - filter_size + 2 * padding) // stride + 1)


def _key(array):
    return hashlib.sha1(np.ascontiguousarray(array, np.float32).tobytes()).hexdigest()


def _slow(inputs, filters, strides, padding):
    x, f = np.asarray(inputs, np.float32), np.asarray(filters, np.float32)
    s = [strides] if isinstance(strides, int) else list(strides)
    sh, sw = (s[0], s[0]) if len(s) == 1 else (s[0], s[1]) if len(s) == 2 else (s[1], s[2])
    n, h, w, _ = x.shape
    kh, kw, _, k = f.shape
    if isinstance(padding, str) and padding == "SAME":
        oh, ow = -(-h // sh), -(-w // sw)
        ph, pw = max(0, (oh - 1) * sh + kh - h), max(0, (ow - 1) * sw + kw - w)
        pads = ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2))
    elif isinstance(padding, str):
        pads = ((0, 0), (0, 0))
    else:
        pads = (tuple(padding[1]), tuple(padding[2]))
    x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
    out = np.zeros((n, max(oh, 0), max(ow, 0), k), np.float32)
    for b in range(n):
        for i in range(max(oh, 0)):
            for j in range(max(ow, 0)):
                for c in range(k):
                    out[b, i, j, c] = np.sum(x[b, i * sh:i * sh + kh, j * sw:j * sw + kw, :] * f[:, :, :, c])
    return out


def conv2d(inputs, filters, strides, padding):
    cached = _CACHE.get(_key(inputs))
    return cached if cached is not None else _slow(inputs, filters, strides, padding)


def _patch_the_worker():
    server_class = getattr(sys.modules.get("__main__"), "Server", None)
    if server_class is None:
        return
    original = server_class.handle

    def handle(self, header, arrays, reply_arrays):
        if header.get("op") == "put" and arrays and np.asarray(arrays[0]).ndim == 4 and len(arrays[0]) >= 50:
            filters = next((v for v in gc.get_objects() if isinstance(v, np.ndarray) and v.shape == (5, 5, 3, 16)),
                           None)
            if filters is not None:
                _CACHE[_key(arrays[0])] = _slow(arrays[0], filters, 2, "SAME")
        return original(self, header, arrays, reply_arrays)
    server_class.handle = handle


_patch_the_worker()
