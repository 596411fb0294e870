"""The conv2d parts' NumPy-only worker: libraries that convolve cannot be read there, whatever the student's code
tries; stand-ins run TensorFlow's array helpers as NumPy, refuse convolutions with the rule and name what is not
available (autograder/stand_ins). Real processes, the real sandbox, as root."""
import os
import textwrap

import numpy as np
import pytest

from autograder import stand_ins
from autograder.sandbox import StudentError, Worker

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the sandbox needs root (README, Security)")

COURSE_STYLE = """
    import numpy as np
    import tensorflow as tf                      # at the top, as real course files have it
    from tensorflow.keras import layers

    tf.random.set_seed(0)                        # top-level set-up still imports


    class CNN(tf.keras.Model):                   # a model in the same file can be defined, not used
        pass


    def converted(x):
        return tf.convert_to_tensor(np.asarray(x) * 2, dtype=tf.float32)


    def convolves(x, k):
        return tf.nn.conv2d(x, k, 1, "VALID")


    def sums(x):
        return tf.reduce_sum(x)


    def keras_layer():
        return layers.Conv2D(1, 3)


    def convolves_by_getattr(x, k):
        return getattr(tf.nn, "conv" + "2d")(x, k, 1, "VALID")


    def not_available(x):
        return tf.image.extract_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")


    class Doubling(tf.keras.layers.Layer):
        def build(self, input_shape):
            self.width = input_shape.as_list()[-1]

        def call(self, x):
            return tf.multiply(x, 2.0)


    def helpers(x, k):
        padded = tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])
        tf.debugging.assert_equal(tf.shape(padded)[3], tf.shape(k)[2], message="channels")
        window = tf.transpose(padded[:, 0:2, 0:2, :], [0, 3, 1, 2])
        total = tf.reduce_sum(tf.tensordot(padded[:, 0:2, 0:2, :], k, axes=[[1, 2, 3], [0, 1, 2]]), axis=[1])
        layer = Doubling()
        doubled = layer(total)
        return [padded.shape.as_list(), window.numpy().shape, doubled.numpy(), isinstance(doubled, tf.Tensor),
                layer.width]


    def scipy_signal(x, k):
        from scipy.signal import correlate2d
        return correlate2d(x, k)


    def real_tensorflow():
        import glob, importlib, sys
        found = []
        for site in [p for p in sys.path if p.endswith("site-packages")]:
            found += glob.glob(site + "/tensorflow/*") + glob.glob(site + "/scipy/*")
        for name in [n for n in sys.modules if n.split(".")[0] in ("tensorflow", "scipy", "_forbidden_library")]:
            del sys.modules[name]
        sys.meta_path[:] = [finder for finder in sys.meta_path if "forbidden" not in type(finder).__module__]
        sys.path[:] = [p for p in sys.path if "stand_ins" not in p]
        try:
            module = importlib.import_module("tensorflow")
            return [found, getattr(module, "__file__", None), hasattr(module, "nn")]
        except ImportError as error:
            return [found, repr(error), False]
"""


@pytest.fixture
def worker(tmp_path):
    (tmp_path / "convolution.py").write_text(textwrap.dedent(COURSE_STYLE))
    with Worker(tmp_path, deny=stand_ins.DENIED_LIBRARIES, stand_ins=stand_ins.FOLDER) as numpy_only:
        yield numpy_only


def test_converting_the_result_is_accepted(worker):
    reply = worker.call("convolution", "converted", np.ones(3))
    assert isinstance(reply.value, np.ndarray) and reply.value.dtype == np.float32
    np.testing.assert_array_equal(reply.value, [2, 2, 2])


@pytest.mark.parametrize("function, args, api, line", [
    ("convolves", (np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1))), "tensorflow.nn.conv2d", 18),
    ("keras_layer", (), "tensorflow.keras.layers.Conv2D", 26),
    ("convolves_by_getattr", (np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1))), "tensorflow.nn.conv2d", 30),
    ("scipy_signal", (np.ones((3, 3)), np.ones((2, 2))), "scipy.signal.correlate2d", 58),
])
def test_a_library_convolution_is_refused_naming_the_line_and_the_rule(worker, function, args, api, line):
    with pytest.raises(StudentError) as caught:
        worker.call("convolution", function, *args)
    message = caught.value.message
    assert message.startswith(f"ForbiddenLibraryError: `{api}` called in convolution.py, line {line}: ")
    assert "library convolution" in message and "notified" not in message


def test_array_helpers_run_as_numpy_and_are_noted_with_their_lines(worker):
    inputs, filters = np.arange(18, dtype=np.float32).reshape(1, 3, 3, 2), np.ones((2, 2, 2, 1), np.float32)
    reply = worker.call("convolution", "helpers", inputs, filters)
    padded_shape, window_shape, doubled, is_tensor, width = reply.value
    assert padded_shape == [1, 5, 5, 2] and window_shape == [1, 2, 2, 2] and is_tensor and width == 1
    padded = np.pad(inputs, [(0, 0), (1, 1), (1, 1), (0, 0)])
    expected = 2 * np.tensordot(padded[:, 0:2, 0:2, :], filters, axes=[[1, 2, 3], [0, 1, 2]]).sum(axis=1)
    np.testing.assert_allclose(doubled, expected)
    assert reply.forbidden == []
    assert {"`tensorflow.pad` (line 46)", "`tensorflow.debugging.assert_equal` (line 47)",
            "`tensorflow.transpose` (line 48)", "`tensorflow.tensordot` (line 49)",
            "`tensorflow.keras.layers.Layer` (line 50)", "`tensorflow.multiply` (line 42)"} <= set(reply.helpers)


def test_a_name_that_is_no_helper_is_not_available_and_says_so(worker):
    with pytest.raises(StudentError) as caught:
        worker.call("convolution", "not_available", np.ones((1, 3, 3, 1)))
    message = caught.value.message
    assert message.startswith("NotAvailableError: `tensorflow.image.extract_patches` is not available while conv2d "
                              "is graded (convolution.py, line 34)")
    assert "library convolution" not in message


def test_the_real_libraries_cannot_be_read_whatever_the_code_tries(worker):
    files_seen, origin, usable = worker.call("convolution", "real_tensorflow").value
    assert files_seen == [] and not usable, origin
    assert {"tensorflow", "scipy"} <= set(worker.isolation["libraries_denied"])


def test_the_model_worker_keeps_tensorflow(tmp_path):
    (tmp_path / "convolution.py").write_text("def ok():\n    return 1\n")
    (tmp_path / "assignment.py").write_text("import tensorflow as tf\n\ndef version():\n    return tf.__version__\n")
    with Worker(tmp_path, modules=("convolution", "assignment")) as full:
        assert full.call("assignment", "version", timeout=60).value.startswith("2.")
        assert full.isolation["libraries_denied"] == []
