"""The sandbox's protocol, spoken by the grader (autograder.sandbox) and the worker (copied beside worker.py):

- a frame is an 8-byte big-endian length followed by that many bytes;
- a message is one JSON frame (the header, with "arrays": n) followed by n frames of `.npy` bytes
  (`np.save(..., allow_pickle=False)`; object arrays cannot be written or read).
Inside a header, values are plain JSON except two tagged forms: {"__array__": i} (the i-th array frame) and
{"__dict__": {...}} (a dict, tagged so a student's dict can never pose as an array). The READER enforces the limits
(bytes, number and size of arrays): the grader reads every reply with its own MessageReader, which student code
cannot change.

Standalone (stdlib + NumPy only): the worker imports it from its runtime folder.
"""
import io
import json
import os
import re

import numpy as np

HEADER_BYTES = 8
MAX_FRAME_BYTES = 256 * 1024 * 1024      # larger frames are a protocol error (protects the grader's memory)
# What a MessageReader takes by default (the grader reads every reply with these; a student who edits the worker
# cannot raise them). The largest real message is the performance layer's inputs or a wrong-shaped answer to it
# (~13 MB); the worker's own reply cap stops far larger conv2d answers before they are sent.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024     # a whole message: header and array frames
MAX_HEADER_BYTES = 16 * 1024 * 1024      # the JSON header (a 400k-element list returned as JSON is ~8 MB)
MAX_ARRAYS = 64                           # array frames in one message
MAX_NESTING = 32                          # deeper lists/dicts in a result do not cross
MAX_HEADER_ITEMS = 1_000_000             # JSON values in a header (a float each: ~32 MB parsed)
MAX_HEADER_DEPTH = 2 * MAX_NESTING + 8   # a crossing dict is two JSON levels ({"__dict__": {...}}), the header two
REFUSED_DTYPE_KINDS = "OV"               # object and structured arrays never cross


class ProtocolError(Exception):
    """The bytes on a pipe are not a well-formed message."""


# Both linear on any input: escapes go first, so that a string is then a quote, no quotes, a quote.
JSON_ESCAPE = re.compile(rb"\\.", re.DOTALL)
JSON_STRING = re.compile(rb'"[^"]*"')


def json_shape_problem(data, max_items, max_depth):
    """Why the JSON text `data` (bytes) is more than a reader takes, counted on its bytes before anything is
    parsed: "items" (more than max_items values -- ',' '[' '{' outside strings -- or as many escapes, or strings
    beyond what that many values hold) or "depth" (lists and objects nested deeper than max_depth); None when it
    is within both. Costs ~0.4 us per escape and per string, both bounded first, and a few passes over the bytes."""
    escapes = data.count(b"\\")
    if escapes > max_items or data.count(b'"') > 4 * max_items + escapes:   # a key and its value: four quotes
        return "items"
    structure = JSON_STRING.sub(b"", JSON_ESCAPE.sub(b"", data))
    opening = structure.count(b"[") + structure.count(b"{")
    closing = structure.count(b"]") + structure.count(b"}")
    if max(opening + structure.count(b","), closing) > max_items:
        return "items"
    codes = np.frombuffer(structure, dtype=np.uint8)
    brackets = codes[np.isin(codes, np.frombuffer(b"[]{}", dtype=np.uint8))]     # at most 2 * max_items
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1).astype(np.int32)
    if steps.size and int(np.cumsum(steps).max()) > max_depth:
        return "depth"
    return None


# ---------------------------------------------------------------------------------------------------------------
# Framing, shared by the grader and the worker
# ---------------------------------------------------------------------------------------------------------------

def _npy_header(array):
    """The .npy header of a C-contiguous array (what np.save writes before the data)."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, np.lib.format.header_data_from_array_1_0(array))
    return buffer.getvalue()


def _crossing(array):
    """A C-contiguous copy or view of `array` that may cross. Raises ValueError for object or structured arrays."""
    array = np.asarray(array)
    if not array.flags.c_contiguous:     # (ascontiguousarray alone would make a 0-d array 1-d)
        array = np.ascontiguousarray(array)
    if array.dtype.kind in REFUSED_DTYPE_KINDS:
        raise ValueError(f"arrays of dtype {array.dtype} cannot cross the sandbox boundary")
    return array


def array_to_bytes(array):
    """A NumPy array as .npy bytes. Raises ValueError for object or structured arrays."""
    array = _crossing(array)
    return _npy_header(array) + array.tobytes()


def bytes_to_array(data):
    """.npy bytes as a (writable) NumPy array; never unpickles. Raises ProtocolError for anything else."""
    try:
        stream = io.BytesIO(data)
        version = np.lib.format.read_magic(stream)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        shape, fortran_order, dtype = read_header[version](stream)
    except Exception as error:
        raise ProtocolError(f"not a plain .npy array: {error}") from None
    if dtype.hasobject or dtype.kind in REFUSED_DTYPE_KINDS:
        raise ProtocolError("refused an object or structured array")
    count = 1
    for size in shape:
        count *= size
    if stream.tell() + count * dtype.itemsize != len(data):
        raise ProtocolError("an array frame's length does not match its header")
    flat = np.frombuffer(data, dtype=dtype, count=count, offset=stream.tell())
    return flat.reshape(shape, order="F" if fortran_order else "C").copy(order="K")


def encode_message(header, arrays=()):
    """(header dict, list of arrays) -> the bytes of one message: built in one buffer, each array copied into it once
    (the performance layer's arrays cross in every timed call; each extra copy was measurable)."""
    header = json.dumps(dict(header, arrays=len(arrays))).encode()
    arrays = [_crossing(array) for array in arrays]
    heads = [_npy_header(array) for array in arrays]
    size = HEADER_BYTES + len(header) + sum(HEADER_BYTES + len(head) + array.nbytes for head, array in zip(heads, arrays))
    message = bytearray(size)
    at = 0
    for frame_head, body in [(header, None)] + list(zip(heads, arrays)):
        length = len(frame_head) + (body.nbytes if body is not None else 0)
        message[at:at + HEADER_BYTES] = length.to_bytes(HEADER_BYTES, "big")
        at += HEADER_BYTES
        message[at:at + len(frame_head)] = frame_head
        at += len(frame_head)
        if body is not None and body.nbytes:
            message[at:at + body.nbytes] = memoryview(body).cast("B")
            at += body.nbytes
    return message


def write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class MessageReader:
    """Assembles messages from bytes fed in any chunking: feed(data), then take() -> (header, arrays) or None.

    The limits are enforced here, by the reader, as soon as a frame's length is known (before its bytes are
    buffered): a header over max_header_bytes, an array frame over max_frame_bytes, more than max_arrays arrays, or
    a message over max_message_bytes in all raises ProtocolError.
    """

    def __init__(self, max_message_bytes=MAX_MESSAGE_BYTES, max_arrays=MAX_ARRAYS, max_frame_bytes=MAX_MESSAGE_BYTES,
                 max_header_bytes=MAX_HEADER_BYTES):
        self.max_message_bytes, self.max_arrays = max_message_bytes, max_arrays
        self.max_frame_bytes, self.max_header_bytes = min(max_frame_bytes, MAX_FRAME_BYTES), max_header_bytes
        self.buffer = bytearray()
        self.header = None
        self.arrays = []
        self.message_bytes = 0          # bytes of the message being assembled, frames announced so far

    def feed(self, data):
        if len(self.buffer) + len(data) > 2 * self.max_message_bytes + HEADER_BYTES:
            raise ProtocolError(f"more than {2 * self.max_message_bytes} bytes arrived without a complete message")
        self.buffer += data

    def _next_frame(self, limit, what):
        if len(self.buffer) < HEADER_BYTES:
            return None
        length = int.from_bytes(self.buffer[:HEADER_BYTES], "big")
        if length > limit:
            raise ProtocolError(f"{what} of {length} bytes is larger than allowed ({limit})")
        if self.message_bytes + HEADER_BYTES + length > self.max_message_bytes:
            raise ProtocolError(f"a message of more than {self.max_message_bytes} bytes")
        if len(self.buffer) < HEADER_BYTES + length:
            return None
        with memoryview(self.buffer) as view:
            frame = view[HEADER_BYTES:HEADER_BYTES + length].tobytes()
        del self.buffer[:HEADER_BYTES + length]
        self.message_bytes += HEADER_BYTES + length
        return frame

    def take(self):
        while True:
            if self.header is None:
                self.message_bytes = 0
                frame = self._next_frame(self.max_header_bytes, "a message header")
                if frame is None:
                    return None
                problem = json_shape_problem(frame, MAX_HEADER_ITEMS, MAX_HEADER_DEPTH)
                if problem:
                    raise ProtocolError(f"a message header holds too many values or nests them too deeply "
                                        f"({problem})")
                try:
                    header = json.loads(frame)
                except (ValueError, RecursionError):
                    raise ProtocolError("a message header is not JSON") from None
                if not isinstance(header, dict) or not isinstance(header.get("arrays"), int) \
                        or not 0 <= header["arrays"] <= self.max_arrays:
                    raise ProtocolError(f"a message header is malformed (arrays must be 0 to {self.max_arrays})")
                self.header, self.arrays = header, []
            if len(self.arrays) == self.header["arrays"]:
                message = (self.header, self.arrays)
                self.header, self.arrays = None, []
                return message
            frame = self._next_frame(self.max_frame_bytes, "an array frame")
            if frame is None:
                return None
            self.arrays.append(bytes_to_array(frame))


def decode_value(value, arrays, depth=0):
    """Inverse of encode_value: tagged JSON + array frames -> Python values."""
    if depth > MAX_NESTING:
        raise ProtocolError("value nested too deeply")
    if isinstance(value, list):
        return [decode_value(item, arrays, depth + 1) for item in value]
    if isinstance(value, dict):
        if set(value) == {"__array__"} and isinstance(value["__array__"], int) \
                and 0 <= value["__array__"] < len(arrays):
            return arrays[value["__array__"]]
        if set(value) == {"__dict__"} and isinstance(value["__dict__"], dict):
            return {key: decode_value(item, arrays, depth + 1) for key, item in value["__dict__"].items()}
        raise ProtocolError("unknown tagged value")
    return value


class CannotCross(Exception):
    """A value has no safe representation on the pipe."""


def encode_value(value, arrays, depth=0):
    """value -> tagged JSON, appending arrays to `arrays`. Raises CannotCross.

    Crosses: NumPy arrays and scalars, TensorFlow tensors (via .numpy()), None/bool/int/float/str, and lists,
    tuples (as lists) and str-keyed dicts of those. Any other object does not cross.
    """
    if depth > MAX_NESTING:
        raise CannotCross("nested too deeply")
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind in REFUSED_DTYPE_KINDS:
            raise CannotCross(f"an array of dtype {array.dtype}")
        arrays.append(array)
        return {"__array__": len(arrays) - 1}
    if is_tensorflow_tensor(value):
        return encode_value(value.numpy(), arrays, depth + 1)
    if type(value) in (list, tuple):
        return [encode_value(item, arrays, depth + 1) for item in value]
    if type(value) is dict:
        if not all(type(key) is str for key in value):
            raise CannotCross("a dict with non-string keys")
        return {"__dict__": {key: encode_value(item, arrays, depth + 1) for key, item in value.items()}}
    raise CannotCross(f"an object of type {type_name(value)}")


def is_tensorflow_tensor(value):
    return type(value).__module__.startswith("tensorflow") and callable(getattr(value, "numpy", None))


def type_name(value):
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
