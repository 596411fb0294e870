"""Attack: At import, leaves files everywhere anyone may write (/tmp, /var/tmp, 100 MB in /dev/shm, /run/lock) and
SysV shared memory and a message queue, for a later submission to find; conv2d returns zeros."""
import ctypes
import os

import numpy as np

for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
    try:
        os.makedirs(os.path.join(folder, "cnn-leftover", "deeper"), exist_ok=True)
        with open(os.path.join(folder, "cnn-leftover", "deeper", "note.txt"), "w") as file:
            file.write("a message for the next submission")
    except OSError:
        pass
try:
    with open("/dev/shm/cnn-leftover-100mb", "wb") as file:
        file.write(b"\0" * (100 * 1024 * 1024))
except OSError:
    pass
try:
    libc = ctypes.CDLL(None, use_errno=True)
    IPC_CREAT = 0o1000
    libc.shmget(0x5EC2E7, 4 * 1024 * 1024, IPC_CREAT | 0o666)
    libc.msgget(0x5EC2E8, IPC_CREAT | 0o666)
    libc.semget(0x5EC2E9, 1, IPC_CREAT | 0o666)
except OSError:
    pass

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
    return np.zeros(output_shape(inputs, filters, strides, padding), np.float32)
