"""Every malformed reply from a worker is the student's protocol fault, never a grader failure: structured
malformed replies written by real student code on the real reply pipe, and a fuzz of the grader's reader and reply
decoding (random bytes, mutated replies, any chunking) that may raise nothing but ProtocolError."""
import json
import random
import textwrap

import numpy as np
import pytest

from autograder.sandbox import MALFORMED, StudentError, Worker, decoded_reply, protocol

# Student code that writes `payload` (hex) on the worker's reply pipe as its answer, then waits: the grader must
# decide from the bytes alone.
SCRIBBLER = """
    import gc, os, time

    def reply_fd():
        # the worker's reply pipe, from its Server object (as the catalogue's reply attacks find it)
        for thing in gc.get_objects():
            if type(thing).__name__ == "Server" and isinstance(getattr(thing, "reply_fd", None), int):
                return thing.reply_fd
        raise RuntimeError("no reply pipe")

    def scribble(payload):
        os.write(reply_fd(), bytes.fromhex(payload))
        time.sleep(60)

    def trivial():
        return 1
"""


def frame(data):
    return len(data).to_bytes(protocol.HEADER_BYTES, "big") + data


def reply_bytes(header, *array_frames, raw=None):
    """One message: the header (a dict, dumped as JSON, or `raw` bytes) and the given .npy frames."""
    data = raw if raw is not None else json.dumps(header).encode()
    return frame(data) + b"".join(frame(array) for array in array_frames)


def nested(depth, inner="0"):
    return "[" * depth + inner + "]" * depth


def good(request_id, **fields):
    return dict({"ok": True, "id": request_id, "arrays": 0, "value": 1, "type": "int", "forbidden": [], "helpers": [],
                 "changed": []}, **fields)


# (what, function of the request id -> the reply bytes)
MALFORMED_REPLIES = [
    ("a header nesting 100,000 lists", lambda i: reply_bytes(None, raw=nested(100_000).encode())),
    ("a value nesting 900 lists", lambda i: reply_bytes(None, raw=json.dumps(good(i)).replace(
        '"value": 1', '"value": ' + nested(900)).encode())),
    ("a value nesting 40 lists", lambda i: reply_bytes(good(i, value=json.loads(nested(40))))),
    ("a failure of kind 'missing' to a call", lambda i: reply_bytes({"ok": False, "id": i, "arrays": 0,
                                                                      "kind": "missing", "message": "x"})),
    ("a failure of an unknown kind", lambda i: reply_bytes({"ok": False, "id": i, "arrays": 0, "kind": "weird",
                                                             "message": "x"})),
    ("a failure whose message is nested lists", lambda i: reply_bytes(
        {"ok": False, "id": i, "arrays": 0, "kind": "exception", "message": json.loads(nested(30))})),
    ("forbidden that is not a list", lambda i: reply_bytes(good(i, forbidden=5))),
    ("forbidden that is a dict", lambda i: reply_bytes(good(i, forbidden={"__dict__": {}}))),
    ("forbidden holding numbers", lambda i: reply_bytes(good(i, forbidden=[1, [2]]))),
    ("helpers that is not a list", lambda i: reply_bytes(good(i, helpers="tf.pad"))),
    ("changed holding names", lambda i: reply_bytes(good(i, changed=["filters"]))),
    ("no type", lambda i: reply_bytes({k: v for k, v in good(i).items() if k != "type"})),
    ("ok that is not a bool", lambda i: reply_bytes(good(i, ok=1))),
    ("no ok", lambda i: reply_bytes({k: v for k, v in good(i).items() if k != "ok"})),
    ("an unknown tagged value", lambda i: reply_bytes(good(i, value={"__evil__": 1}))),
    ("an array that is not there", lambda i: reply_bytes(good(i, value={"__array__": 3}))),
    ("a stash reference", lambda i: reply_bytes(good(i, value={"__stashed__": "x"}))),
    ("minus one arrays", lambda i: reply_bytes(good(i, arrays=-1))),
    ("a thousand arrays", lambda i: reply_bytes(good(i, arrays=1000))),
    ("an array frame that is not .npy", lambda i: reply_bytes(good(i, arrays=1, value={"__array__": 0}),
                                                              b"not an array at all")),
    ("a pickled object array", lambda i: reply_bytes(good(i, arrays=1, value={"__array__": 0}),
                                                     pickled_object_array())),
    ("a header that is a list", lambda i: reply_bytes(None, raw=b"[1, 2, 3]")),
    ("a header that is not UTF-8", lambda i: reply_bytes(None, raw=b'{"ok": "\xff\xfe"}')),
    ("an id of 5,000 digits", lambda i: reply_bytes(None, raw=b'{"ok": true, "arrays": 0, "id": ' + b"9" * 5000
                                                    + b"}")),
    ("a frame announcing 2**63 bytes", lambda i: (2 ** 63).to_bytes(8, "big") + b"{}"),
    ("a million empty lists", lambda i: reply_bytes(None, raw=json.dumps(good(i)).replace(
        '"value": 1', '"value": [' + "[]," * 1_000_000 + "[]]").encode())),
]


def pickled_object_array():
    import io
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def scribbling_worker(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scribbler") / "submission"
    folder.mkdir()
    (folder / "convolution.py").write_text(textwrap.dedent(SCRIBBLER))
    with Worker(folder) as worker:
        yield worker


@pytest.mark.parametrize("what, make", MALFORMED_REPLIES, ids=[what for what, _ in MALFORMED_REPLIES])
def test_a_malformed_reply_on_the_real_pipe_is_the_students_protocol_fault(scribbling_worker, what, make):
    worker = scribbling_worker
    payload = make(worker._next_id + 1).hex()        # the id the grader will give this call
    with pytest.raises(StudentError) as caught:
        worker.call("convolution", "scribble", payload, timeout=30)
    assert caught.value.kind == "protocol", caught.value
    message = caught.value.message
    assert message.startswith((MALFORMED, "the worker's reply was garbled")), message
    assert len(message) < 500 and "/" not in message.replace("I/O", "")     # short, and names no path
    assert worker.call("convolution", "trivial").value == 1                  # the next call gets a fresh worker


def test_a_well_formed_reply_written_by_student_code_is_taken_as_its_answer(scribbling_worker):
    """The control: the scribbler's channel works, so the refusals above are about the replies' content."""
    worker = scribbling_worker
    payload = reply_bytes(good(worker._next_id + 1, value=7, type="int")).hex()
    reply = worker.call("convolution", "scribble", payload, timeout=30)
    assert (reply.value, reply.type, reply.forbidden) == (7, "int", [])


# -- the fuzz: the grader's reader and reply decoding, in this process ---------------------------------------------

def valid_replies(rng):
    """(header, array frames) of replies the worker really sends."""
    array = protocol.array_to_bytes(np.arange(rng.randint(0, 6), dtype=np.float32))
    return [(good(1, arrays=1, value={"__array__": 0}), [array]),
            (good(1, value={"__dict__": {"a": [1, 2.5, None, "x"]}}), []),
            ({"ok": False, "id": 1, "arrays": 0, "kind": "exception", "message": "ValueError: no"}, []),
            ({"ok": True, "id": 1, "arrays": 0}, [])]


def random_value(rng, depth=0):
    """Any JSON value, the protocol's tagged forms included."""
    kinds = ["int", "float", "str", "bool", "null", "tag"] + (["list", "dict"] if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "dict":
        return {rng.choice(["a", "__dict__", "__array__", "ok"]): random_value(rng, depth + 1)
                for _ in range(rng.randint(0, 2))}
    if kind == "tag":
        return rng.choice([{"__array__": rng.randint(-1, 2)}, {"__dict__": random_value(rng, 3)},
                           {"__stashed__": "x"}, {"__array__": "0"}])
    return {"int": lambda: rng.randint(-2, 2 ** 70), "float": lambda: rng.choice([0.5, 1e308, -0.0]),
            "str": lambda: rng.choice(["", "exception", "missing", "import", "memory", "protocol", "x" * 100]),
            "bool": lambda: rng.random() < 0.5, "null": lambda: None}[kind]()


def with_a_field_changed(header, rng):
    header = dict(header)
    for _ in range(rng.randint(1, 3)):
        name = rng.choice(["ok", "id", "arrays", "value", "type", "forbidden", "kind", "message", "module"])
        if rng.random() < 0.2:
            header.pop(name, None)
        elif name not in ("id", "arrays") or rng.random() < 0.3:
            header[name] = random_value(rng)
    return header


def mutated(data, rng):
    """Bytes changed at random: a byte, an inserted token, a cut, a length prefix rewritten, junk appended."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        choice = rng.random()
        position = rng.randrange(len(data) + 1)
        if choice < 0.3 and data:
            data[min(position, len(data) - 1)] = rng.randrange(256)
        elif choice < 0.5:
            data[position:position] = rng.choice([b"[", b"{", b"]", b"}", b",", b'"', b"\\", b"\xff",
                                                  b"[" * 500, b'{"__array__": 0}', b"1e999", b"NaN", b"-0"])
        elif choice < 0.7:
            del data[position:position + rng.randint(1, 16)]
        elif choice < 0.85 and len(data) >= 8:
            data[0:8] = rng.randrange(2 ** rng.choice([8, 16, 64])).to_bytes(8, "big")
        else:
            data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    return bytes(data)


def fuzz_cases(count, seed):
    """Random bytes; real replies with a field replaced by any JSON value (framed right); real replies with
    their bytes mutated."""
    rng = random.Random(seed)
    for number in range(count):
        header, arrays = rng.choice(valid_replies(rng))
        if number % 4 == 0:
            junk = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
            yield frame(junk) if rng.random() < 0.5 else junk
        elif number % 4 in (1, 2):
            yield reply_bytes(with_a_field_changed(header, rng), *arrays)
        else:
            yield mutated(reply_bytes(header, *arrays), rng)


def read_as_the_grader_does(data, rng, op="call"):
    """Feed `data` in random chunks to a MessageReader and decode what it takes, as Worker._request does."""
    reader = protocol.MessageReader()
    taken = []
    position = 0
    while position < len(data):
        step = rng.randint(1, max(1, len(data) // 3))
        reader.feed(data[position:position + step])
        position += step
        while True:
            message = reader.take()
            if message is None:
                break
            header, arrays = message
            taken.append(decoded_reply(header, arrays, op))
    return taken


def test_fuzzing_the_reader_and_reply_decoding_raises_only_protocol_errors():
    rng = random.Random(20)
    outcomes = {"taken": 0, "refused": 0, "incomplete": 0}
    for data in fuzz_cases(4000, seed=20):
        op = rng.choice(["call", "model", "start"])
        try:
            taken = read_as_the_grader_does(data, rng, op)
        except protocol.ProtocolError:
            outcomes["refused"] += 1
            continue
        outcomes["taken" if taken else "incomplete"] += 1
        for reply in taken:                 # what the grader then reads has the types it expects
            assert type(reply["ok"]) is bool
            if not reply["ok"]:
                assert isinstance(reply["message"], str) and isinstance(reply["kind"], str)
            elif op == "call":
                assert isinstance(reply["type"], str) and all(isinstance(f, str) for f in reply["forbidden"])
                assert all(isinstance(h, str) for h in reply["helpers"]) and all(
                    type(c) is int for c in reply["changed"])
    # the fuzz reached every outcome (a fuzz that only ever refused at the first byte would prove little)
    assert all(count > 100 for count in outcomes.values()), outcomes


@pytest.mark.parametrize("what, make", MALFORMED_REPLIES, ids=[what for what, _ in MALFORMED_REPLIES])
def test_each_structured_malformed_reply_is_refused_by_the_reader_or_the_decoding(what, make):
    with pytest.raises(protocol.ProtocolError):
        read_as_the_grader_does(make(1), random.Random(0))
