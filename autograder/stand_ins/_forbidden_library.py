"""What a library looks like in the NumPy-only worker that runs the conv2d parts: a stand-in that explains the rule.

The real TensorFlow, Keras, SciPy, scikit-learn, PyTorch and JAX cannot be read there (the sandbox covers them), so
`import tensorflow as tf` at the top of convolution.py, common in course code that never uses it, finds this
stand-in instead and still works. Converting a result (`tf.convert_to_tensor(out)`, `tf.constant`, `tf.cast`, the
dtypes, `isinstance(x, tf.Tensor)`) runs with NumPy; any other use while conv2d runs (`tf.reduce_sum`, `tf.tensordot`,
a Keras layer, every convolution) raises ForbiddenLibraryError naming the line and the rule. Top-level set-up in a
file that also holds the model (`tf.random.set_seed(0)`, `class CNN(tf.keras.Model)`) still imports.
"""
import importlib.machinery
import sys

import numpy as np

RULE = "conv2d must be written with NumPy only (the assignment's rule)"

# The only tensorflow names that run (with NumPy): converting a result, which one course's stencil asks for
# (`return tf.convert_to_tensor(out)`). Every other use is the library doing the work and is refused.
TENSORFLOW_EQUIVALENTS = {
    "convert_to_tensor": lambda value, dtype=None, **_: np.asarray(value, dtype=_dtype(dtype)),
    "constant": lambda value, dtype=None, **_: np.asarray(value, dtype=_dtype(dtype)),
    "cast": lambda value, dtype, **_: np.asarray(value).astype(_dtype(dtype)),
}
DTYPES = {name: np.dtype(name) for name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64",
                                             "uint8", "bool")}


def _dtype(dtype):
    return None if dtype is None else np.dtype(getattr(dtype, "name", dtype))


class ForbiddenLibraryError(RuntimeError):
    """A library was used where the assignment asks for NumPy only."""


def _caller():
    """(file, line) of the first frame outside this stand-in: where the student used the library."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    if frame is None:
        return "?", 0
    return frame.f_code.co_filename.rsplit("/", 1)[-1], frame.f_lineno


class StandIn:
    """A library name (`tensorflow.nn.conv2d`): attributes give deeper names, calling it raises (or runs the NumPy
    equivalent for the few names listed above)."""

    def __init__(self, path):
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        path = f"{self._path}.{name}"
        if path.startswith("tensorflow.") and path.count(".") == 1:
            if name in TENSORFLOW_EQUIVALENTS:
                return TENSORFLOW_EQUIVALENTS[name]
            if name in DTYPES:
                return DTYPES[name]
            if name == "Tensor":
                return np.ndarray
        return StandIn(path)

    def __call__(self, *args, **kwargs):
        if sys._getframe(1).f_code.co_name == "<module>":
            # Top-level set-up in a file that also holds the model (tf.random.set_seed(0), a layer built at
            # import): the module must still import for conv2d to be graded; nothing here runs conv2d.
            return StandIn(f"{self._path}()")
        file, line = _caller()
        raise ForbiddenLibraryError(f"`{self._path}` called in {file}, line {line}: {RULE}; only NumPy is "
                                    "available while conv2d is graded.")

    def __repr__(self):
        return f"<stand-in for {self._path}: {RULE}>"

    def __mro_entries__(self, bases):
        """`class CNN(tf.keras.Model)` in the same file as conv2d: the class can be made, not used."""
        path = self._path

        class Forbidden:
            def __init__(self, *args, **kwargs):
                file, line = _caller()
                raise ForbiddenLibraryError(f"`{path}` used in {file}, line {line}: {RULE}; only NumPy is "
                                            "available while conv2d is graded.")
        return (Forbidden,)


class _SubmoduleFinder:
    """`import tensorflow.keras.layers`, `from scipy.signal import correlate2d`: submodules of a stand-in are
    stand-ins too."""

    def __init__(self):
        self.packages = set()

    def find_spec(self, fullname, path=None, target=None):
        if "." in fullname and fullname.split(".")[0] in self.packages:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__path__ = []
        _make_stand_in(module)


_FINDER = _SubmoduleFinder()
sys.meta_path.insert(0, _FINDER)


def _make_stand_in(module):
    module.__stand_in__ = True
    module.__getattr__ = StandIn(module.__name__).__getattr__


def install(module_name):
    """Make sys.modules[module_name] (a stand-in package being imported) answer every attribute with a StandIn."""
    _FINDER.packages.add(module_name)
    _make_stand_in(sys.modules[module_name])
