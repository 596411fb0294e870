"""The forbidden-library trap, armed in the worker: while the student's `convolution.conv2d` runs, calls of library
convolutions (TensorFlow Conv* ops, scipy.signal / scipy.ndimage convolutions, torch conv functions) are recorded
and reported with the reply. The libraries are not imported to arm it: an import hook patches them when the student
imports them. It matters in the model's worker, where TensorFlow is available; the conv2d parts' worker cannot read
those libraries at all (autograder/stand_ins).

Standalone (stdlib only): the worker imports it from its runtime folder.
"""
import functools
import sys

class Trap:
    """Counts how deep we are inside the student's conv2d and records library convolutions called meanwhile."""

    def __init__(self):
        self.depth = 0
        self.seen = []
        self.calls = 0          # calls of the watched conv2d: the model part needs is_testing=True to make some

    def record(self, what):
        if self.depth and what not in self.seen:
            self.seen.append(what)

    def take(self):
        seen, self.seen = self.seen, []
        return seen

    def watch(self, function):
        """function wrapped so that the trap is armed while it runs (and its calls counted); once."""
        if getattr(function, "_sandbox_watched", False):
            return function

        @functools.wraps(function)
        def watched(*args, **kwargs):
            self.calls += 1
            self.depth += 1
            try:
                return function(*args, **kwargs)
            finally:
                self.depth -= 1
        watched._sandbox_watched = True
        return watched

    def spy(self, function, label):
        """A library function wrapped so that calls inside the watched function are recorded."""
        if getattr(function, "_sandbox_spy", False):
            return function

        @functools.wraps(function)
        def spied(*args, **kwargs):
            self.record(label)
            return function(*args, **kwargs)
        spied._sandbox_spy = True
        return spied


TRAP = Trap()
# assignment's own conv2d too: a notebook or a single file is staged as both modules, each with its own conv2d (in a
# folder, assignment's `from convolution import conv2d` is already the watched one)
WATCHED_FUNCTIONS = {"convolution": ("conv2d",), "assignment": ("conv2d",)}

SCIPY_SIGNAL_CONVOLUTIONS = ("convolve", "correlate", "convolve2d", "correlate2d", "fftconvolve", "oaconvolve")
SCIPY_NDIMAGE_CONVOLUTIONS = ("convolve", "correlate", "convolve1d", "correlate1d")
TORCH_CONVOLUTIONS = ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def _spy_on(module, names, prefix):
    """Replace module.<name> (and the same function in its defining module) by a recording wrapper."""
    for name in names:
        original = getattr(module, name, None)
        if original is None:
            continue
        spied = TRAP.spy(original, f"{prefix}.{name}")
        setattr(module, name, spied)
        home = sys.modules.get(getattr(original, "__module__", None) or "")
        if home is not None and home is not module and getattr(home, name, None) is original:
            setattr(home, name, spied)


def _arm_tensorflow(tensorflow):
    from tensorflow.python.framework import op_callbacks

    def on_op(op_type, inputs, attrs, outputs, op_name=None, graph=None):
        if TRAP.depth:
            name = op_type.decode() if isinstance(op_type, bytes) else str(op_type)
            if "Conv" in name:
                TRAP.record(f"tensorflow op {name}")
        return None
    op_callbacks.add_op_callback(on_op)


def _arm_torch(torch):
    _spy_on(torch, TORCH_CONVOLUTIONS, "torch")
    functional = getattr(getattr(torch, "nn", None), "functional", None)
    if functional is not None:
        _spy_on(functional, TORCH_CONVOLUTIONS, "torch.nn.functional")


ARM_ON_IMPORT = {
    "tensorflow": _arm_tensorflow,
    "scipy.signal": lambda module: _spy_on(module, SCIPY_SIGNAL_CONVOLUTIONS, "scipy.signal"),
    "scipy.ndimage": lambda module: _spy_on(module, SCIPY_NDIMAGE_CONVOLUTIONS, "scipy.ndimage"),
    "torch": _arm_torch,
}


class ArmOnImport:
    """A sys.meta_path finder that lets the normal finders load a watched library, then arms the trap in it."""

    def find_spec(self, fullname, path, target=None):
        arm = ARM_ON_IMPORT.get(fullname)
        if arm is None:
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        load = loader.exec_module

        def exec_module(module):
            load(module)
            try:
                arm(module)
            except Exception:   # a stand-in, or a library version we do not know: grade without this part of the trap
                pass            # (never a word in the student's output: it is theirs, and this is the grader's)
        loader.exec_module = exec_module    # loaders are per module: this touches only this import
        return spec
