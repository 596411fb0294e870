"""What a library looks like in the NumPy-only worker that runs the conv2d parts: a stand-in that says what it allows.

The real TensorFlow, Keras, SciPy, scikit-learn, PyTorch and JAX cannot be read there (the sandbox covers them), so
`import tensorflow as tf` at the top of convolution.py, common in course code, finds this stand-in instead. Then:

- TensorFlow's array helpers (tf.reduce_sum, tf.pad, tf.transpose, tf.tensordot, tf.shape, tf.debugging asserts, a
  tf.keras.layers.Layer base class, dtypes, tf.convert_to_tensor, ...; _tensorflow_on_numpy.HELPERS) run as their
  NumPy equivalents: they compute no convolution, and the grader grades the arithmetic of the code that uses them.
  Each call is noted (take_uses) for part 2.1's NumPy-only rule, when a course sets it, and for part 3.1's note.
- a convolution (tf.nn.conv2d, Keras' Conv2D, scipy.signal.correlate2d, ...; _names.forbidden_api) raises
  ForbiddenLibraryError naming the line: the assignment asks the student to compute the convolution.
- any other name raises NotAvailableError: it is not a convolution, but it does not exist here; the message says so.
Top-level set-up in a file that also holds the model (`tf.random.set_seed(0)`, `class CNN(tf.keras.Model)`) still
imports.
"""
import importlib.machinery
import sys

from _names import forbidden_api
import _tensorflow_on_numpy
from _tensorflow_on_numpy import HELPERS

RULE = "conv2d must compute the convolution itself (the assignment's rule)"
STAND_IN_FILES = frozenset({__file__, _tensorflow_on_numpy.__file__})
_USES = []     # "`tensorflow.reduce_sum` (line 12)" for each helper call since the last take_uses()


class ForbiddenLibraryError(RuntimeError):
    """A library convolution was called where the assignment asks for the student's own."""


class NotAvailableError(NotImplementedError):
    """A library name that is no convolution, but does not exist in the worker that grades conv2d."""


def _caller():
    """(file, line) of the first frame outside the stand-ins: where the student used the library."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename in STAND_IN_FILES:
        frame = frame.f_back
    if frame is None:
        return "?", 0
    return frame.f_code.co_filename.rsplit("/", 1)[-1], frame.f_lineno


def take_uses():
    """The helper calls noted since the last take, in order, each once."""
    uses = list(dict.fromkeys(_USES))
    del _USES[:]
    return uses


def _note(path):
    file, line = _caller()
    _USES.append(f"`{path}` (line {line})")


def _noted(path, helper):
    """helper, noting each call with the student's line. Classes stay classes (a student's layer subclasses
    Layer): Layer and Variable note their own instances through _tensorflow_on_numpy.on_use."""
    if isinstance(helper, type) or not callable(helper):
        return helper

    def noted(*args, **kwargs):
        _note(path)
        return helper(*args, **kwargs)
    noted.__name__ = noted.__qualname__ = path.rsplit(".", 1)[-1]
    return noted


def _refuse(path):
    """The error for using `path`: the rule for a convolution, 'not available' for anything else."""
    file, line = _caller()
    if forbidden_api(path):
        return ForbiddenLibraryError(f"`{path}` called in {file}, line {line}: {RULE}; it is a library "
                                     "convolution.")
    return NotAvailableError(f"`{path}` is not available while conv2d is graded ({file}, line {line}): the grader "
                             "runs conv2d with NumPy, and with TensorFlow's common array helpers (tf.reduce_sum, "
                             "tf.pad, tf.transpose, tf.tensordot, ...) as NumPy; write this step with NumPy.")


_tensorflow_on_numpy.on_use = _note


class StandIn:
    """A library name (`tensorflow.nn.conv2d`): attributes give deeper names or the helper of that name; calling
    a name that is no helper raises (_refuse)."""

    def __init__(self, path):
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        path = f"{self._path}.{name}"
        if path in HELPERS:
            return _noted(path, HELPERS[path])
        return StandIn(path)

    def __call__(self, *args, **kwargs):
        if sys._getframe(1).f_code.co_name == "<module>":
            # Top-level set-up in a file that also holds the model (tf.random.set_seed(0), a layer built at
            # import): the module must still import for conv2d to be graded; nothing here runs conv2d.
            return StandIn(f"{self._path}()")
        raise _refuse(self._path)

    def __repr__(self):
        return f"<{self._path}, as the worker that grades conv2d has it>"

    def __mro_entries__(self, bases):
        """`class CNN(tf.keras.Model)` in the same file as conv2d: the class can be made, not used."""
        path = self._path

        class Unavailable:
            def __init__(self, *args, **kwargs):
                raise _refuse(path)
        return (Unavailable,)


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
