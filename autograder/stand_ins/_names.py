"""Which library names compute a convolution: the one rule that the static check (autograder/rules.py) and the
NumPy-only worker's stand-ins (_forbidden_library.py) share.

Standalone (stdlib only): the stand-ins import it inside the sandbox.
"""
import re

DEEP_LEARNING_ROOTS = ("tensorflow", "keras", "tf_keras", "jax", "flax")
# conv2d, conv_transpose, convolution, Conv2DTranspose, DepthwiseConv2D, ConvLSTM2D, keras.ops.conv;
# not convert_to_tensor.
CONV_NAME = re.compile(r"conv(\d|_|olution|transpose|lstm|$)", re.IGNORECASE)
SCIPY_CONVOLUTIONS = frozenset({"convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve", "oaconvolve",
                                "convolve1d", "correlate1d"})


def forbidden_api(dotted_name):
    """The convolution in a dotted name ("tensorflow.nn.conv2d.__call__" -> "tensorflow.nn.conv2d"), or None.

    TensorFlow / Keras / JAX: a name matching conv (conv2d, convolution, depthwise_conv2d, Conv2D, keras.ops.conv)
    and anything under raw_ops containing "Conv"; scipy: any name with convolve or correlate in it; torch:
    anything with conv in its name. NumPy is allowed (np.convolve is 1-D)."""
    parts = dotted_name.split(".")
    root = parts[0]
    for end in range(2, len(parts) + 1):
        name = parts[end - 1]
        if root in DEEP_LEARNING_ROOTS:
            is_forbidden = CONV_NAME.search(name) or ("raw_ops" in parts[:end - 1] and "conv" in name.lower())
        elif root == "scipy":     # its private names too: scipy.signal._sigtools._convolve2d
            is_forbidden = name in SCIPY_CONVOLUTIONS or "convolve" in name.lower() or "correlate" in name.lower()
        elif root == "torch":
            is_forbidden = "conv" in name.lower()
        else:
            is_forbidden = False
        if is_forbidden:
            return ".".join(parts[:end])
    return None


# Names that compute nothing: types and dtypes (`isinstance(x, tf.Tensor)`, `dtype=tf.float32`).
PASSIVE_NAMES = frozenset({"Tensor", "TensorShape", "DType", "dtypes", "newaxis", "float16", "float32", "float64",
                           "int8", "int16", "int32", "int64", "uint8", "bool"})


def library_call(dotted_name):
    """For a course whose rule is NumPy only in conv2d: a convolution (forbidden_api), or any other name of a
    deep-learning library that computes something ("tensorflow.reduce_sum"); None for NumPy, types and dtypes."""
    convolution = forbidden_api(dotted_name)
    if convolution:
        return convolution
    parts = dotted_name.split(".")
    if parts[0] in DEEP_LEARNING_ROOTS and len(parts) > 1 and parts[1] not in PASSIVE_NAMES:
        return dotted_name
    return None
