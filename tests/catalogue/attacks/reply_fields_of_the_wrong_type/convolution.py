"""Answers conv2d itself, on the worker's reply pipe, with well-framed replies that carry the right request id (read
from the worker's own frame) but fields of the wrong kind, one per call in turn: a failure of kind "missing" (the
grader raised KeyError out of its request), a "forbidden" that is a number, a value tagged as nothing the protocol
knows (ProtocolError out of the decoding), a value nested 40 deep. Each is the student's protocol fault."""
import gc
import json
import math
import os
import sys
import time

REPLIES = [
    {"ok": False, "kind": "missing", "message": "nothing stashed"},
    {"ok": True, "type": "numpy.ndarray", "forbidden": 5, "value": None},
    {"ok": True, "type": "numpy.ndarray", "forbidden": [], "value": {"__evil__": 1}},
    {"ok": True, "type": "list", "forbidden": [], "value": json.loads("[" * 40 + "]" * 40)},
]
_calls = []


def conv_output_size(in_size, filter_size, stride=1, padding="VALID"):
    if padding == "SAME":
        return math.ceil(in_size / stride)
    if padding == "VALID":
        return max(0, math.ceil((in_size - filter_size + 1) / stride))
    if isinstance(padding, int) and padding >= 0:
        return max(0, (in_size - filter_size + 2 * padding) // stride + 1)
    raise ValueError(f"padding must be 'SAME', 'VALID' or an int >= 0, got {padding!r}")


def _reply_fd():
    for thing in gc.get_objects():
        if type(thing).__name__ == "Server" and isinstance(getattr(thing, "reply_fd", None), int):
            return thing.reply_fd
    raise RuntimeError("no reply pipe")


def _request_id():
    """The id of the request being answered: the `header` of a frame of the worker's loop."""
    frame = sys._getframe(1)
    while frame is not None:
        header = frame.f_locals.get("header")
        if isinstance(header, dict) and "id" in header:
            return header["id"]
        frame = frame.f_back
    return None


def conv2d(inputs, filters, strides, padding):
    reply = dict(REPLIES[(inputs.shape[1] + len(_calls)) % len(REPLIES)], id=_request_id(), arrays=0)
    _calls.append(1)
    header = json.dumps(reply).encode()
    os.write(_reply_fd(), len(header).to_bytes(8, "big") + header)
    time.sleep(600)
