"""The static forbidden-API rule: every route to a library convolution from conv2d is flagged on its line;
honest implementations, and a CNN elsewhere in the file that uses tf.nn.conv2d, are clean."""
import textwrap
from pathlib import Path

import pytest

from autograder.rules import MAX_SOURCE_BYTES, Finding, check_parsed, find_forbidden, forbidden_api, library_call
from conftest import SOLUTION

# Each source marks the line(s) that must be reported with "# FLAG" (comments are invisible to the rule).
ROUTES = {
    "tf.nn.conv2d": ("tensorflow.nn.conv2d", """
        import tensorflow as tf
        def conv2d(inputs, filters, strides, padding):
            return tf.nn.conv2d(inputs, filters, strides, padding)  # FLAG
        """),
    "tf.nn.convolution": ("tensorflow.nn.convolution", """
        import tensorflow as tf
        def conv2d(inputs, filters, strides, padding):
            return tf.nn.convolution(inputs, filters, strides, padding)  # FLAG
        """),
    "tf.nn.depthwise_conv2d": ("tensorflow.nn.depthwise_conv2d", """
        import tensorflow as tf
        def conv2d(inputs, filters, strides, padding):
            return tf.nn.depthwise_conv2d(inputs, filters, [1, 1, 1, 1], padding)  # FLAG
        """),
    "conv2d_transpose": ("tensorflow.nn.conv2d_transpose", """
        import tensorflow as tf
        def conv2d(inputs, filters, strides, padding):
            return tf.nn.conv2d_transpose(inputs, filters, (1, 4, 4, 1), 1)  # FLAG
        """),
    "tf.compat.v1": ("tensorflow.compat.v1.nn.conv2d", """
        import tensorflow.compat.v1 as tf1
        def conv2d(inputs, filters, strides, padding):
            return tf1.nn.conv2d(inputs, filters, [1, 1, 1, 1], padding)  # FLAG
        """),
    "raw_ops": ("tensorflow.raw_ops.DepthwiseConv2dNative", """
        import tensorflow as tf
        def conv2d(inputs, filters, strides, padding):
            return tf.raw_ops.DepthwiseConv2dNative(input=inputs, filter=filters,  # FLAG
                                                   strides=[1, 1, 1, 1], padding=padding)
        """),
    "keras.layers.Conv2D": ("keras.layers.Conv2D", """
        from keras import layers
        def conv2d(inputs, filters, strides, padding):
            layer = layers.Conv2D(filters.shape[-1], filters.shape[:2])  # FLAG
            return layer(inputs)
        """),
    "tf.keras.layers.Conv2D": ("tensorflow.keras.layers.Conv2D", """
        import tensorflow as tf
        def conv2d(inputs, filters, strides, padding):
            return tf.keras.layers.Conv2D(4, 3)(inputs)  # FLAG
        """),
    "keras.ops.conv": ("keras.ops.conv", """
        import keras
        def conv2d(inputs, filters, strides, padding):
            return keras.ops.conv(inputs, filters, strides, padding.lower())  # FLAG
        """),
    "scipy.signal.correlate2d": ("scipy.signal.correlate2d", """
        import numpy as np
        from scipy import signal
        def conv2d(inputs, filters, strides, padding):
            return np.array(signal.correlate2d(inputs[0, :, :, 0], filters[:, :, 0, 0], "valid"))  # FLAG
        """),
    "scipy.signal.fftconvolve": ("scipy.signal.fftconvolve", """
        import scipy.signal
        def conv2d(inputs, filters, strides, padding):
            return scipy.signal.fftconvolve(inputs, filters)  # FLAG
        """),
    "scipy.signal imported name": ("scipy.signal.oaconvolve", """
        from scipy.signal import oaconvolve  # FLAG
        def conv2d(inputs, filters, strides, padding):
            return oaconvolve(inputs, filters)  # FLAG
        """),
    "scipy.ndimage.correlate": ("scipy.ndimage.correlate", """
        import scipy.ndimage as ndi
        def conv2d(inputs, filters, strides, padding):
            return ndi.correlate(inputs, filters)  # FLAG
        """),
    "torch functional": ("torch.nn.functional.conv2d", """
        import torch
        import torch.nn.functional as F
        def conv2d(inputs, filters, strides, padding):
            return F.conv2d(torch.tensor(inputs), torch.tensor(filters))  # FLAG
        """),
    "torch module": ("torch.nn.Conv2d", """
        import torch
        def conv2d(inputs, filters, strides, padding):
            return torch.nn.Conv2d(3, 4, 3)(inputs)  # FLAG
        """),
    "any alias": ("tensorflow.nn.conv2d", """
        import tensorflow as T
        def conv2d(inputs, filters, strides, padding):
            return T.nn.conv2d(inputs, filters, strides, padding)  # FLAG
        """),
    "from import as": ("tensorflow.nn.conv2d", """
        from tensorflow.nn import conv2d as c  # FLAG
        def conv2d(inputs, filters, strides, padding):
            return c(inputs, filters, strides, padding)  # FLAG
        """),
    "from tensorflow import nn": ("tensorflow.nn.conv2d", """
        from tensorflow import nn as neural
        def conv2d(inputs, filters, strides, padding):
            return neural.conv2d(inputs, filters, strides, padding)  # FLAG
        """),
    "getattr": ("tensorflow.nn.conv2d", """
        import tensorflow as tf
        def conv2d(inputs, filters, strides, padding):
            return getattr(tf.nn, "conv2d")(inputs, filters, strides, padding)  # FLAG
        """),
    "getattr of a concatenated string": ("tensorflow.nn.conv2d", """
        import tensorflow as tf
        def conv2d(inputs, filters, strides, padding):
            method = getattr(tf.nn, "conv" + "2d")  # FLAG
            return method(inputs, filters, strides, padding)  # FLAG
        """),
    "importlib + getattr": ("tensorflow.nn.conv2d", """
        import importlib
        def conv2d(inputs, filters, strides, padding):
            library = importlib.import_module("tensorflow")
            return getattr(library.nn, "conv2d")(inputs, filters, strides, padding)  # FLAG
        """),
    "import_module of a submodule": ("scipy.signal.convolve", """
        from importlib import import_module
        def conv2d(inputs, filters, strides, padding):
            return import_module("scipy.signal").convolve(inputs, filters)  # FLAG
        """),
    "__import__": ("tensorflow.nn.conv2d", """
        def conv2d(inputs, filters, strides, padding):
            tf = __import__("tensorflow")
            return tf.nn.conv2d(inputs, filters, strides, padding)  # FLAG
        """),
    "sys.modules": ("tensorflow.nn.conv2d", """
        import sys
        def conv2d(inputs, filters, strides, padding):
            return sys.modules["tensorflow"].nn.conv2d(inputs, filters, strides, padding)  # FLAG
        """),
    "sys.modules.get": ("tensorflow.nn.conv2d", """
        import sys
        def conv2d(inputs, filters, strides, padding):
            library = sys.modules.get("tensorflow")
            return library.nn.conv2d(inputs, filters, strides, padding)  # FLAG
        """),
    "__dict__ and vars": ("tensorflow.nn.conv2d", """
        import tensorflow as tf
        def conv2d(inputs, filters, strides, padding):
            first = tf.nn.__dict__["conv2d"]  # FLAG
            return vars(tf.nn)["conv2d"](inputs, filters, strides, padding)  # FLAG
        """),
    "inside a lambda": ("tensorflow.nn.conv2d", """
        import tensorflow as tf
        def conv2d(inputs, filters, strides, padding):
            run = lambda x: tf.nn.conv2d(x, filters, strides, padding)  # FLAG
            return run(inputs)
        """),
    "eval of a constant string": ("tensorflow.nn.conv2d", """
        import tensorflow as tf
        def conv2d(inputs, filters, strides, padding):
            return eval("tf.nn.conv2d")(inputs, filters, strides, padding)  # FLAG
        """),
    "module-level alias": ("tensorflow.nn.conv2d", """
        import tensorflow as tf
        fast_convolution = tf.nn.conv2d  # FLAG
        def conv2d(inputs, filters, strides, padding):
            return fast_convolution(inputs, filters, strides, padding)  # FLAG
        """),
    "conv2d assigned, no def": ("tensorflow.nn.conv2d", """
        import tensorflow as tf
        conv2d = tf.nn.conv2d  # FLAG
        """),
    "conv2d imported, no def": ("tensorflow.nn.conv2d", """
        from tensorflow.nn import conv2d  # FLAG
        """),
    "through a helper function": ("tensorflow.nn.conv2d", """
        import tensorflow as tf
        def _fast(inputs, filters):
            return tf.nn.conv2d(inputs, filters, 1, "SAME")  # FLAG
        def _middle(inputs, filters):
            return _fast(inputs, filters)
        def conv2d(inputs, filters, strides, padding):
            return _middle(inputs, filters)
        """),
    "through a class": ("tensorflow.keras.layers.Conv2D", """
        import tensorflow as tf
        class Convolver:
            def __init__(self):
                self.layer = tf.keras.layers.Conv2D(4, 3)  # FLAG
        def conv2d(inputs, filters, strides, padding):
            return Convolver().layer(inputs)
        """),
    "import inside conv2d": ("scipy.signal.convolve2d", """
        def conv2d(inputs, filters, strides, padding):
            from scipy.signal import convolve2d  # FLAG
            return convolve2d(inputs, filters)  # FLAG
        """),
}


def _flagged_lines(source):
    return [number for number, line in enumerate(source.splitlines(), start=1) if "# FLAG" in line]


@pytest.mark.parametrize("route", list(ROUTES))
def test_each_route_is_flagged_on_its_line(route):
    api, source = ROUTES[route]
    source = textwrap.dedent(source)
    findings = find_forbidden(source)
    assert sorted({finding.line for finding in findings}) == _flagged_lines(source)
    assert {finding.api for finding in findings} == {api}
    for finding in findings:
        assert finding.code == source.splitlines()[finding.line - 1].strip()


def test_the_solution_is_clean():
    assert find_forbidden((SOLUTION / "convolution.py").read_text()) == []


TENSORDOT = '''
import numpy as np
import tensorflow as tf

def conv2d(inputs, filters, strides, padding):
    """Unlike tf.nn.conv2d (which we must not call), this slides the kernel by hand."""
    inputs = tf.convert_to_tensor(inputs).numpy()   # converting is fine; tf.nn.conv2d is not
    kh, kw, _, cout = filters.shape
    n, h, w, _ = inputs.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, cout), np.float32)
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            out[:, i, j] = np.tensordot(inputs[:, i:i + kh, j:j + kw], filters, axes=3)
    return out + np.convolve([1.0], [0.0])[0]   # np.convolve is 1-D and allowed
'''

EINSUM = '''
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

def conv2d(inputs, filters, strides, padding):
    # scipy.signal.correlate2d would do this; we do not use it.
    windows = sliding_window_view(inputs, filters.shape[:2], axis=(1, 2))
    return np.einsum("nhwcij,ijco->nhwo", windows, filters)
'''

CNN_IN_THE_SAME_FILE = '''
import numpy as np
import tensorflow as tf
from tensorflow.nn import conv2d as tf_conv2d
from keras.layers import Conv2D, Dense

def _windows(inputs, kh, kw):
    return np.lib.stride_tricks.sliding_window_view(inputs, (kh, kw), axis=(1, 2))

def conv2d(inputs, filters, strides, padding):
    return np.einsum("nhwcij,ijco->nhwo", _windows(inputs, *filters.shape[:2]), filters)

class Model(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.first = Conv2D(16, 5)
        self.dense = Dense(10)

    def call(self, inputs, is_testing=False):
        if is_testing:
            hidden = conv2d(inputs, self.filters, 2, "SAME")
        else:
            hidden = tf.nn.conv2d(inputs, self.filters, 2, "SAME")
        return self.dense(tf_conv2d(hidden, self.filters, 1, "SAME"))
'''


@pytest.mark.parametrize("source", [TENSORDOT, EINSUM, CNN_IN_THE_SAME_FILE], ids=["tensordot", "einsum", "cnn"])
def test_honest_implementations_are_clean(source):
    assert find_forbidden(source) == []


def test_the_cnn_itself_would_be_flagged():
    # The same file judged from the model's side: the rule does see tf.nn.conv2d there.
    findings = find_forbidden(CNN_IN_THE_SAME_FILE, function="Model")
    assert {finding.api for finding in findings} == {"tensorflow.nn.conv2d", "keras.layers.Conv2D"}


def test_a_parameter_shadows_a_module_alias():
    source = textwrap.dedent("""
        import tensorflow as tf
        convolve = tf.nn.conv2d
        def conv2d(inputs, filters, strides, padding, convolve=None):
            return convolve(inputs, filters)
        """)
    assert find_forbidden(source) == []


def test_missing_function_gives_no_findings():
    assert find_forbidden("import tensorflow as tf\nx = tf.nn.conv2d\n") == []


def test_syntax_error_raises():
    with pytest.raises(SyntaxError):
        find_forbidden("def conv2d(:\n    pass\n")


@pytest.mark.parametrize("name, expected", [
    ("tensorflow.nn.conv2d.__call__", "tensorflow.nn.conv2d"),
    ("tensorflow.convert_to_tensor", None),
    ("tensorflow.nn.relu", None),
    ("keras.layers.DepthwiseConv2D", "keras.layers.DepthwiseConv2D"),
    ("numpy.convolve", None),
    ("scipy.signal.windows.hann", None),
    ("torch.nn.LazyConv2d", "torch.nn.LazyConv2d"),
    ("scipy.signal._sigtools._convolve2d", "scipy.signal._sigtools._convolve2d"),
    ("scipy.signal.correlation_lags", None),
])
def test_forbidden_api_names(name, expected):
    assert forbidden_api(name) == expected


def test_a_numpy_only_course_also_finds_tensorflow_helpers_but_not_types():
    source = textwrap.dedent("""
        import numpy as np
        import tensorflow as tf

        def conv2d(x, k, s, p):
            if isinstance(x, tf.Tensor):
                x = x.numpy()
            total = tf.reduce_sum(np.asarray(x, dtype=tf.float32))
            return tf.nn.conv2d(x, k, s, p), total
    """)
    assert [f.api for f in find_forbidden(source)] == ["tensorflow.nn.conv2d"]
    assert [(f.line, f.api) for f in find_forbidden(source, judge=library_call)] == [
        (8, "tensorflow.reduce_sum"), (9, "tensorflow.nn.conv2d")]


def test_finding_fields():
    finding = find_forbidden("import tensorflow as tf\ndef conv2d(x, k):\n    return tf.nn.conv2d(x, k, 1, 'SAME')\n")
    assert finding == [Finding(3, "return tf.nn.conv2d(x, k, 1, 'SAME')", "tensorflow.nn.conv2d")]


# -- the check is bounded: too large, too much work or too deep gives one line-0 finding that says so -------------

def test_a_source_over_the_size_cap_is_not_parsed():
    from autograder.rules import MAX_SOURCE_BYTES
    source = "x = 1\n" * (MAX_SOURCE_BYTES // 6 + 1) + "def conv2d(a):\n    return a\n"
    [finding] = find_forbidden(source)
    assert finding.line == 0 and "larger than the 256 KB" in finding.api


def test_a_check_over_its_step_budget_stops():
    chain = "".join(f"a{i} = a{i + 1}\n" for i in range(300))
    source = f"import numpy as np\n{chain}a300 = np\ndef conv2d(x):\n    return a0.zeros(1)\n"
    assert find_forbidden(source) == []
    [finding] = find_forbidden(source, max_steps=10_000)
    assert finding.line == 0 and "more than 10,000 steps" in finding.api


def test_a_nesting_too_deep_to_walk_is_a_finding():
    [finding] = find_forbidden("x = " + "-" * 2_500 + "1\ndef conv2d(a):\n    return x\n")
    assert finding.line == 0 and "nested too deeply" in finding.api


def test_a_large_file_under_the_cap_is_checked_quickly():
    import time
    source = "x = 1\n" * 40_000 + "import tensorflow as tf\ndef conv2d(a):\n    return tf.nn.conv2d(a, x)\n"
    started = time.monotonic()
    assert [f.api for f in find_forbidden(source)] == ["tensorflow.nn.conv2d"]
    assert time.monotonic() - started < 30   # ~1 s here; a quadratic walk would take minutes


# -- never crash on a student's style: the check over every real Python file at hand ------------------------------

def _real_python_files():
    """Every .py file of the standard library (its own, not the packages installed beside it) and of the installed
    packages: ~11,000 files written by many hands in every style."""
    import sysconfig
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = [path for path in stdlib.rglob("*.py")
             if not {"site-packages", "dist-packages"} & set(path.relative_to(stdlib).parts)]
    files += Path(sysconfig.get_paths()["purelib"]).rglob("*.py")
    return sorted(set(files))


def _check_every_function(path):
    """(entry points checked, [(file, entry point, exception)]) with each module-level function of one file, and
    conv2d, taken in turn as the entry point. Files that are not valid Python or too large are skipped."""
    import ast
    import warnings
    warnings.simplefilter("ignore")        # invalid escape sequences in old files
    try:
        source = path.read_text(encoding="utf-8")
        if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
            return 0, []
        tree = ast.parse(source)
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError, OSError):
        return 0, []
    names = {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    failures = []
    for name in sorted(names | {"conv2d"}):
        try:
            check_parsed(source, tree, name)
        except Exception as error:  # noqa: BLE001 (any exception is the finding)
            failures.append((str(path), name, repr(error)))
    return len(names) + 1, failures


def test_the_check_never_raises_on_the_standard_library_or_the_installed_packages():
    """~60,000 entry points (2-3 minutes on 2 cores). Found this way: `fp = fp.buffer` made an alias grow for ever
    (cgi.py), and a string subscript crashed the check before its aliases existed."""
    from multiprocessing import get_context
    files = _real_python_files()
    assert len(files) > 3000, "the corpus is the standard library and site-packages"
    with get_context("fork").Pool(2) as pool:
        checked = pool.map(_check_every_function, files, chunksize=16)
    failures = [failure for _, found in checked for failure in found]
    assert sum(count for count, _ in checked) > 20_000
    assert failures == [], failures[:10]


def test_a_conv2d_reading_a_settings_dict_by_string_key_is_checked():
    source = ("import numpy as np\n\ndef conv2d(x, w, cfg):\n    s = cfg['stride']\n    p = cfg[\"pad\"]\n"
              "    return np.zeros((1, 1, 1, 1))\n")
    assert find_forbidden(source) == []
    calling = source.replace("return np.zeros((1, 1, 1, 1))",
                             "import tensorflow as tf\n    return tf.nn.conv2d(x, w, s, p)")
    assert [finding.api for finding in find_forbidden(calling)] == ["tensorflow.nn.conv2d"]
