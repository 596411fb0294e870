"""The TensorFlow array helpers students use beside their own loops, run with NumPy in the conv2d parts' worker.

Real course code reads `tf.shape(x)`, pads with `tf.pad`, sums a window with `tf.reduce_sum` or `tf.tensordot`,
transposes NCHW code with `tf.transpose`, checks with `tf.debugging.assert_equal`, or wraps its loops in a
`tf.keras.layers.Layer`. None of that computes the convolution, so it is allowed (unless the course's config asks for
NumPy only, which part 2.1 then reports), and the grader must grade the arithmetic of such code without TensorFlow,
which the NumPy-only worker cannot read. Each helper here is the NumPy operation with TensorFlow's meaning; values come
back as `Tensor`, an ndarray with TensorFlow's `.numpy()` and `.shape.as_list()`.

Only the names in HELPERS run; a convolution raises the rule's error and any other name says it is not available
(_forbidden_library.py). Nothing here can reach a convolution: it is NumPy all the way down.

Standalone (NumPy only): imported inside the sandbox from the stand-ins' folder.
"""
import numpy as np

on_use = lambda path: None     # set by _forbidden_library: notes a Layer or Variable made by the student's code

DTYPES = {name: np.dtype(name) for name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64",
                                             "uint8", "bool")}


class TensorShape(tuple):
    """A shape as TensorFlow gives it: a tuple with as_list(), rank and num_elements()."""

    def as_list(self):
        return list(self)

    @property
    def rank(self):
        return len(self)

    @property
    def ndims(self):
        return len(self)

    def num_elements(self):
        return int(np.prod(self, dtype=np.int64))


class Tensor(np.ndarray):
    """An ndarray that also answers as a tf.Tensor does: numpy(), shape.as_list(), get_shape()."""

    @property
    def shape(self):
        return TensorShape(np.ndarray.shape.__get__(self))

    @shape.setter
    def shape(self, value):
        np.ndarray.shape.__set__(self, value)

    def numpy(self):
        return np.asarray(self)

    def get_shape(self):
        return self.shape


Tensor.__module__ = "tensorflow"      # what a student's type check or the grader's reply says it returned


def tensor(value, dtype=None):
    """A Tensor of value (a number, list, ndarray or Tensor), as tf.constant / tf.convert_to_tensor make one."""
    return np.asarray(value, dtype=_dtype(dtype)).view(Tensor)


def _dtype(dtype):
    return None if dtype is None else np.dtype(getattr(dtype, "name", dtype))


def _axis(axis):
    """TensorFlow takes an axis list where NumPy wants a tuple."""
    return tuple(int(a) for a in np.ravel(axis)) if axis is not None and np.ndim(axis) else axis


def _reduce(function):
    def reduce(input_tensor, axis=None, keepdims=False, name=None):
        return tensor(function(np.asarray(input_tensor), axis=_axis(axis), keepdims=keepdims))
    return reduce


def _elementwise(function):
    def apply(*arrays, name=None):
        return tensor(function(*(np.asarray(a) for a in arrays)))
    return apply


def pad(tensor_, paddings, mode="CONSTANT", constant_values=0, name=None):
    mode = str(mode).upper()
    pairs = [tuple(int(p) for p in pair) for pair in np.asarray(paddings)]
    if mode == "CONSTANT":
        return tensor(np.pad(np.asarray(tensor_), pairs, constant_values=constant_values))
    return tensor(np.pad(np.asarray(tensor_), pairs, mode={"REFLECT": "reflect", "SYMMETRIC": "symmetric"}[mode]))


def zeros(shape, dtype="float32", name=None):
    return tensor(np.zeros(_shape(shape), _dtype(dtype)))


def ones(shape, dtype="float32", name=None):
    return tensor(np.ones(_shape(shape), _dtype(dtype)))


def fill(dims, value, name=None):
    return tensor(np.full(_shape(dims), value))


def _shape(shape):
    return tuple(int(s) for s in np.ravel(np.asarray(shape)))


def reshape(tensor_, shape, name=None):
    return tensor(np.reshape(np.asarray(tensor_), _shape(shape)))


def transpose(a, perm=None, conjugate=False, name=None):
    return tensor(np.transpose(np.asarray(a), None if perm is None else _shape(perm)))


def matmul(a, b, transpose_a=False, transpose_b=False, name=None, **_):
    a, b = np.asarray(a), np.asarray(b)
    return tensor(np.matmul(np.swapaxes(a, -1, -2) if transpose_a else a, np.swapaxes(b, -1, -2) if transpose_b else b))


def tensordot(a, b, axes, name=None):
    axes = axes if np.ndim(axes) == 0 else [list(np.ravel(x)) for x in axes]
    return tensor(np.tensordot(np.asarray(a), np.asarray(b), axes=axes))


def shape(input_, out_type="int32", name=None):
    return tensor(np.asarray(np.shape(input_), _dtype(out_type)))


def cast(x, dtype, name=None):
    return tensor(np.asarray(x).astype(_dtype(dtype)))


def stack(values, axis=0, name="stack"):
    return tensor(np.stack([np.asarray(v) for v in values], axis=axis))


def concat(values, axis, name="concat"):
    return tensor(np.concatenate([np.asarray(v) for v in values], axis=axis))


def expand_dims(input_, axis, name=None):
    return tensor(np.expand_dims(np.asarray(input_), int(axis)))


def squeeze(input_, axis=None, name=None):
    return tensor(np.squeeze(np.asarray(input_), axis=_axis(axis) if axis is not None else None))


def slice_(input_, begin, size, name=None):
    array = np.asarray(input_)
    index = tuple(slice(b, None if s == -1 else b + s) for b, s in zip(_shape(begin), _shape(size)))
    return tensor(array[index])


def gather(params, indices, axis=None, batch_dims=0, name=None):
    return tensor(np.take(np.asarray(params), np.asarray(indices), axis=0 if axis is None else int(axis)))


def einsum(equation, *inputs, **_):
    return tensor(np.einsum(equation, *(np.asarray(i) for i in inputs)))


def range_(start, limit=None, delta=1, dtype=None, name="range"):
    if limit is None:
        start, limit = 0, start
    return tensor(np.arange(start, limit, delta, dtype=_dtype(dtype)))


def where(condition, x=None, y=None, name=None):
    if x is None and y is None:
        return tensor(np.argwhere(np.asarray(condition)))
    return tensor(np.where(np.asarray(condition), np.asarray(x), np.asarray(y)))


class InvalidArgumentError(ValueError):
    """What tf.debugging's asserts raise (tf.errors.InvalidArgumentError)."""


def assert_equal(x, y, message=None, summarize=None, name=None):
    if not np.all(np.asarray(x) == np.asarray(y)):
        raise InvalidArgumentError(message or f"Condition x == y did not hold: x = {x}, y = {y}")


def assert_rank(x, rank, message=None, name=None):
    if np.ndim(x) != int(rank):
        raise InvalidArgumentError(message or f"expected rank {rank}, got {np.ndim(x)}")


class Variable(Tensor):
    """tf.Variable(value): a Tensor with assign()."""

    def __new__(cls, initial_value, trainable=True, dtype=None, name=None, **_):
        on_use("tensorflow.Variable")
        return np.array(initial_value, dtype=_dtype(dtype)).view(cls)

    def assign(self, value, **_):
        self[...] = np.asarray(value)
        return self


class Layer:
    """tf.keras.layers.Layer as a student's conv2d uses one: the layer is built on its first call, and call() holds
    the student's own arithmetic. Weights are NumPy arrays."""

    def __init__(self, *args, trainable=True, name=None, dtype=None, **kwargs):
        on_use("tensorflow.keras.layers.Layer")
        self.built = False
        self.trainable = trainable
        self.name = name

    def build(self, input_shape):
        pass

    def call(self, inputs, *args, **kwargs):
        return inputs

    def __call__(self, inputs, *args, **kwargs):
        if not self.built:
            self.build(TensorShape(np.shape(inputs)))
            self.built = True
        return self.call(inputs, *args, **kwargs)

    def add_weight(self, name=None, shape=None, dtype=None, initializer="zeros", trainable=True, **_):
        return Variable(np.zeros(_shape(shape or ()), _dtype(dtype) or np.float32))


_MATH = {
    "reduce_sum": _reduce(np.sum), "reduce_mean": _reduce(np.mean), "reduce_max": _reduce(np.max),
    "reduce_min": _reduce(np.min), "reduce_prod": _reduce(np.prod), "reduce_all": _reduce(np.all),
    "reduce_any": _reduce(np.any),
    "add": _elementwise(np.add), "subtract": _elementwise(np.subtract), "multiply": _elementwise(np.multiply),
    "divide": _elementwise(np.divide), "truediv": _elementwise(np.true_divide),
    "floordiv": _elementwise(np.floor_divide), "maximum": _elementwise(np.maximum),
    "minimum": _elementwise(np.minimum), "abs": _elementwise(np.abs), "square": _elementwise(np.square),
    "sqrt": _elementwise(np.sqrt), "exp": _elementwise(np.exp), "pow": _elementwise(np.power),
    "negative": _elementwise(np.negative), "equal": _elementwise(np.equal), "ceil": _elementwise(np.ceil),
    "floor": _elementwise(np.floor), "round": _elementwise(np.round),
}
_TOP_LEVEL = dict(
    {name: _MATH[name] for name in ("reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
                                    "reduce_all", "reduce_any", "add", "subtract", "multiply", "divide", "truediv",
                                    "maximum", "minimum", "abs", "square", "sqrt", "exp", "pow", "negative", "equal")},
    constant=lambda value, dtype=None, shape=None, name=None: tensor(
        np.broadcast_to(value, _shape(shape)) if shape is not None else value, dtype),
    convert_to_tensor=lambda value, dtype=None, dtype_hint=None, name=None: tensor(value, dtype),
    identity=lambda input_, name=None: tensor(input_),
    zeros=zeros, ones=ones, fill=fill, reshape=reshape, transpose=transpose, matmul=matmul, tensordot=tensordot,
    shape=shape, cast=cast, stack=stack, concat=concat, expand_dims=expand_dims, squeeze=squeeze, slice=slice_,
    gather=gather, einsum=einsum, range=range_, where=where, pad=pad,
    zeros_like=lambda input_, dtype=None, name=None: tensor(np.zeros_like(np.asarray(input_), _dtype(dtype))),
    ones_like=lambda input_, dtype=None, name=None: tensor(np.ones_like(np.asarray(input_), _dtype(dtype))),
    size=lambda input_, out_type="int32", name=None: tensor(np.size(input_), out_type),
    rank=lambda input_, name=None: tensor(np.ndim(input_), "int32"),
    is_tensor=lambda x: isinstance(x, Tensor),
    Tensor=Tensor, TensorShape=TensorShape, Variable=Variable, newaxis=None,
    assert_equal=assert_equal, assert_rank=assert_rank,
    **DTYPES,
)
_KERAS = {"layers.Layer": Layer, "layers.InputSpec": lambda *args, **kwargs: None}

# dotted name -> what it is here. `tf.math.x` and `tf.x` are one helper; so are the Keras packages' names.
HELPERS = {f"tensorflow.{name}": value for name, value in _TOP_LEVEL.items()}
HELPERS.update({f"tensorflow.math.{name}": value for name, value in _MATH.items()})
HELPERS.update({f"tensorflow.debugging.{name}": value for name, value in (("assert_equal", assert_equal),
                                                                          ("assert_rank", assert_rank))})
HELPERS["tensorflow.errors.InvalidArgumentError"] = InvalidArgumentError
HELPERS["tensorflow.dtypes.float32"] = DTYPES["float32"]
for _root in ("tensorflow.keras", "keras", "tf_keras"):
    HELPERS.update({f"{_root}.{name}": value for name, value in _KERAS.items()})
