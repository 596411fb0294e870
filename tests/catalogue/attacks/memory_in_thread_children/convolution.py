"""Attack: At import, a thread forks three children that each hold 1.25 GB (touched): the children of a non-main
thread are invisible to a poll of the main thread's children, and each stays under a per-process data limit."""
import os
import threading
import time

import numpy as np


def spawn():
    for _ in range(3):
        if os.fork() == 0:
            block = np.ones(1250 * 1024 * 1024 // 8)
            time.sleep(60)
            os._exit(int(block[0]))


thread = threading.Thread(target=spawn)
thread.start()
thread.join()
time.sleep(30)


def conv2d(inputs, filters, strides, padding):
    return np.zeros((1, 1, 1, 1), np.float32)
