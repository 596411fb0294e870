"""Every number the grading depends on, in one place: points, tolerances, budgets, thresholds, visibility, seeds.

The defaults are here; the README's "Configuration" section explains each field. A course grades with other
settings without editing source: `load("course.toml")` returns a Config with that file's overrides, checked field by
field (`python -m autograder grade --config course.toml`). The grading carries its Config with it
(`GradingSession(staged, config=...)`, `grade_submission(..., config=...)`): no part reads the module-global CONFIG.
Changing a seed or a grid needs `make fixtures` afterwards, so those fields are not overridable from a file.
"""
import dataclasses
import sys
from dataclasses import dataclass, field

if sys.version_info >= (3, 11):
    import tomllib
else:                                # Python 3.10 (Gradescope's): the same parser, from PyPI
    import tomli as tomllib


@dataclass(frozen=True)
class Points:
    output_size: float = 10
    conv2d_shapes: float = 10        # public cases: is the output shape right?
    conv2d_values: float = 25        # public cases: are the values right?
    conv2d_hidden: float = 20        # hidden cases (other seeds and shapes), shapes and values together
    conv2d_forms: float = 5          # argument forms: strides int / [s] / [s_h, s_w] / [1, s_h, s_w, 1], explicit
                                     # padding, integer and float64 inputs (5 of the values part's former 30)
    performance: float = 10
    model_accuracy: float = 15
    model_own_conv: float = 5        # is_testing=True (the student's conv2d) agrees with the tf.nn.conv2d path
    conv2d_rule: float = 0           # part 2.1: no library convolution (and, with numpy_only, no TensorFlow call)


@dataclass(frozen=True)
class Tolerance:
    # |yours - expected| <= atol + rtol * |expected|, elementwise, as numpy.allclose. float32 sums over up to
    # 5*5*4 terms in another order differ by ~1e-6 relative; 1e-4 leaves room for float64 accumulation too.
    rtol: float = 1e-4
    atol: float = 1e-4


@dataclass(frozen=True)
class PerformanceBudget:
    # The course's first layer: inputs (100, 32, 32, 3), filters (5, 5, 3, 16), stride 2, SAME.
    input_shape: tuple = (100, 32, 32, 3)
    filter_shape: tuple = (5, 5, 3, 16)
    stride: int = 2
    padding: str = "SAME"
    runs: int = 21                   # timed calls of each side, interleaved; the median of the per-run ratios counts
                                     # (7 runs: 2-3 of 20 self-ratios outside 0.75-1.33 with two graders at once)
    # (largest allowed ratio to the reference solution, fraction of the points), checked in order.
    # Measured here: np.tensordot per output pixel ~10x; four loops with np.sum ~700x.
    tiers: tuple = ((25.0, 1.0), (100.0, 0.5))
    call_timeout_s: float = 20.0     # one call of the student's conv2d on this layer may take at most this long


@dataclass(frozen=True)
class ModelCheck:
    epochs: int = 3                  # calls of the student's train(); each is one epoch
    seed: int = 0                    # tf.keras.utils.set_random_seed before the model is built
    train_timeout_s: float = 240.0   # for all epochs together
    # Accuracy on the embedded digits test split: full points at or above `full_credit_accuracy`, none at or
    # below `zero_credit_accuracy`, linear in between. After 3 epochs the solution reaches 0.98 with seed 0 and
    # 0.951-0.969 with seeds 1-4 (1 epoch: 0.84-0.91, 2 epochs: 0.91-0.96).
    full_credit_accuracy: float = 0.90
    zero_credit_accuracy: float = 0.50
    # is_testing=True must predict the same class as the tf.nn.conv2d path on at least this fraction of images.
    own_conv_agreement: float = 0.99
    # Each grading adds fresh Gaussian noise of this standard deviation (pixels in [0, 1]) to the test images, from
    # a secret source: nothing the sandbox can read holds them. With the relabelling, real CNNs (the solution and
    # three student styles) moved by -1.4 to +0.3 points on average at 0.05; small rotations or shifts cost them 3-8
    # points, so there are none.
    test_noise: float = 0.05
    # With every trainable variable's values shuffled, a model may classify at most this fraction of the test
    # images (measured: the solution and three student-style CNNs 0.06-0.14; a lookup keeps its accuracy).
    shuffled_weights_max_accuracy: float = 0.30
    # The names the model part calls in assignment.py: a course whose handout names them otherwise (the Brown course's
    # class is `Model`) sets them here. The class is built as Class(num_classes); train(model, inputs, labels) runs
    # one epoch.
    class_name: str = "CNN"
    train_function: str = "train"


@dataclass(frozen=True)
class SandboxLimits:
    memory_mb: int = 1536            # data segment of the worker (RLIMIT_DATA); TensorFlow needs ~700 MB
    cpu_s: int = 600                 # CPU seconds of the worker over its life
    file_size_mb: int = 64           # largest file the worker may write, captured stdout/stderr included
    processes: int = 512             # threads and processes of the sandbox user (TensorFlow starts ~100 threads)
    call_timeout_s: float = 10.0     # default wall-clock limit of one call into student code
    import_timeout_s: float = 60.0   # importing the student's modules (TensorFlow alone takes ~4 s)
    output_bytes: int = 20_000       # how much of the student's printed output is kept
    # The memory of the grader's container when no cgroup limit is visible to it (a read-only or hidden cgroup
    # filesystem): 0 = the machine's memory. Gradescope's entry takes 768 (its default container) when this is 0.
    unseen_container_mb: int = 0
    # The sandbox's uids: drawn from uid_base .. uid_base + uid_count - 1, a range outside what systemd, useradd's
    # subordinate ranges and SSSD/FreeIPA hand out (autograder/sandbox/identity.py); each one is checked before use.
    uid_base: int = 2013265920       # 0x78000000
    uid_count: int = 65536


@dataclass(frozen=True)
class SimilaritySettings:
    """The similarity report (python -m autograder similarity); the README's "Similarity" section has the figures."""
    # Given code (stencils, handouts, earlier releases): files or folders of .py/.ipynb whose code is subtracted, as
    # MOSS's base files. Relative paths are read from the folder of the config file that names them.
    base: tuple = ()
    threshold: float = 0.6           # flag a pair whose strongest file scores at least this (measured: README)
    min_fingerprints: int = 15       # both files need this much code of their own (after the given code) to be judged
    # Common code: a fingerprint in more than common_share of the class AND in at least common_at_least submissions
    # is an idiom, not copying (a class smaller than 2 x common_at_least keeps all, so a copy ring cannot hide).
    common_share: float = 0.2
    common_at_least: int = 10


@dataclass(frozen=True)
class Config:
    points: Points = field(default_factory=Points)
    tolerance: Tolerance = field(default_factory=Tolerance)
    performance: PerformanceBudget = field(default_factory=PerformanceBudget)
    model: ModelCheck = field(default_factory=ModelCheck)
    sandbox: SandboxLimits = field(default_factory=SandboxLimits)
    similarity: SimilaritySettings = field(default_factory=SimilaritySettings)
    # Gradescope visibility of the hidden conv2d cases: "hidden", "after_due_date", "after_published" or "visible".
    hidden_visibility: str = "after_published"
    # The strides form in which the parts that score the convolution (2.2-2.4, 3.1) call conv2d, with padding
    # "SAME"/"VALID" and float32 arrays (explicit padding is added to the inputs by the grader): "nhwc"
    # [1, s_h, s_w, 1] (tf.nn.conv2d's docs and the course's stencil), "pair" [s_h, s_w], "single" [s] or "int"
    # (these two fall back to [s_h, s_w] when s_h != s_w). When public cases raise or are wrong in it, the form
    # with the most right public answers is settled on for the submission; part 2.5 scores the forms themselves.
    canonical_strides: str = "nhwc"
    # TensorFlow's array helpers in conv2d (tf.reduce_sum, tf.pad, tf.transpose, tf.tensordot, a Keras Layer base,
    # ...): allowed when False (they compute no convolution; the conv2d parts run them as NumPy). True is a
    # NumPy-only rule: such a call fails part 2.1 (give it points.conv2d_rule), and 2.2-2.4 still grade the
    # arithmetic. A library convolution costs every conv2d part, 3.1 and 4.2 either way.
    numpy_only: bool = False
    public_seed: int = 2024
    hidden_seed: int = 8191
    digits_split_seed: int = 0       # the deterministic train/test split of the digits set
    test_fraction: float = 0.25
    # Gradescope only: graded submissions a student may make in any 24 hours (0 = no limit). Over the limit a
    # submission is not graded (score 0) and the student is told when they can submit again.
    submissions_per_day: int = 0
    leaderboard: bool = False        # Gradescope only: add the leaderboard entries (conv2d time ratio, model accuracy)


CONFIG = Config()


# -- overrides from a TOML file ---------------------------------------------------------------------------------------
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
STRIDE_FORMS = ("nhwc", "pair", "single", "int")   # forms.STRIDE_FORMS (config imports nothing of the package)
# Fields baked into the fixtures when `make fixtures` builds them: a file cannot change them.
BUILT_INTO_FIXTURES = ("public_seed", "hidden_seed", "digits_split_seed", "test_fraction")


def _positive(value):
    return value > 0 or "must be > 0"


def _non_negative(value):
    return value >= 0 or "must be >= 0"


def _fraction(value):
    return 0 <= value <= 1 or "must be between 0 and 1"


def _shape(value):
    return (len(value) == 4 and all(isinstance(size, int) and size > 0 for size in value)) or \
        "must be 4 positive integers"


def _tiers(value):
    ok = value and all(isinstance(tier, tuple) and len(tier) == 2 and all(isinstance(number, (int, float))
                                                                          for number in tier) for tier in value)
    if not ok:
        return "must be a list of [largest ratio, fraction of the points] pairs"
    if any(ratio <= 0 or not 0 <= fraction <= 1 for ratio, fraction in value):
        return "needs ratios > 0 and fractions between 0 and 1"
    return [ratio for ratio, _ in value] == sorted(ratio for ratio, _ in value) or "must list ratios in rising order"


def _one_of(*choices):
    return lambda value: value in choices or f"must be one of {', '.join(map(repr, choices))}"


# dotted field: check returning True or what is wrong (fields not listed take any value of their type)
CHECKS = {
    **{f"points.{name}": _non_negative for name in Points.__dataclass_fields__},
    "tolerance.rtol": _non_negative, "tolerance.atol": _non_negative,
    "performance.input_shape": _shape, "performance.filter_shape": _shape, "performance.stride": _positive,
    "performance.padding": _one_of("SAME", "VALID"), "performance.runs": _positive, "performance.tiers": _tiers,
    "performance.call_timeout_s": _positive,
    "model.epochs": _positive, "model.train_timeout_s": _positive, "model.full_credit_accuracy": _fraction,
    "model.zero_credit_accuracy": _fraction, "model.own_conv_agreement": _fraction,
    "model.test_noise": _non_negative, "model.shuffled_weights_max_accuracy": _fraction,
    "model.class_name": lambda value: value.isidentifier() or "must be a Python name",
    "model.train_function": lambda value: value.isidentifier() or "must be a Python name",
    **{f"sandbox.{name}": _positive for name in SandboxLimits.__dataclass_fields__},
    "sandbox.uid_base": lambda value: 1000 <= value < 2 ** 31 or "must be a uid from 1000 to 2147483647",
    "hidden_visibility": _one_of(*VISIBILITIES), "canonical_strides": _one_of(*STRIDE_FORMS),
    "submissions_per_day": _non_negative,
    "similarity.base": lambda value: all(isinstance(item, str) for item in value) or "must be an array of paths",
    "similarity.threshold": _fraction, "similarity.min_fingerprints": _positive,
    "similarity.common_share": _fraction, "similarity.common_at_least": _positive,
}


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and the field."""


def _typed(value, kind, name):
    """`value` as the field's type `kind` (TOML arrays become tuples), or ConfigError naming the field."""
    if kind is bool:
        ok = isinstance(value, bool)
    elif kind in (int, float):
        ok = isinstance(value, (int, float) if kind is float else int) and not isinstance(value, bool)
    elif kind is tuple:
        ok = isinstance(value, list)
        if ok:
            value = tuple(tuple(item) if isinstance(item, list) else item for item in value)
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise ConfigError(f"`{name}` must be {_KIND_TEXT.get(kind, kind.__name__)}; got {type(value).__name__} "
                          f"{value!r}")
    return float(value) if kind is float else value


_KIND_TEXT = {bool: "true or false", int: "an integer", float: "a number", str: "a string", tuple: "an array"}


def with_overrides(config, overrides, prefix=""):
    """`config` with the fields of the (nested) dict `overrides` replaced, each checked; ConfigError names the first
    field that is unknown, of the wrong type or out of range."""
    changes = {}
    fields = {item.name: item for item in dataclasses.fields(config)}
    for key, value in overrides.items():
        name = prefix + key
        if key not in fields:
            known = ", ".join(prefix + known for known in fields)
            raise ConfigError(f"unknown field `{name}` (known: {known})")
        if name in BUILT_INTO_FIXTURES:
            raise ConfigError(f"`{name}` is built into the fixtures: change it in autograder/config.py, then run "
                              "`make fixtures`")
        current = getattr(config, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ConfigError(f"`{name}` must be a table ([{name}]); got {type(value).__name__} {value!r}")
            changes[key] = with_overrides(current, value, prefix=f"{name}.")
            continue
        kind = fields[key].type if isinstance(fields[key].type, type) else type(current)
        value = _typed(value, kind, name)
        verdict = CHECKS.get(name, lambda _: True)(value)
        if verdict is not True:
            raise ConfigError(f"`{name}` {verdict}; got {value!r}")
        changes[key] = value
    result = dataclasses.replace(config, **changes)
    if not prefix:
        model = result.model
        if model.full_credit_accuracy <= model.zero_credit_accuracy:
            raise ConfigError("`model.full_credit_accuracy` must be above `model.zero_credit_accuracy`; got "
                              f"{model.full_credit_accuracy} and {model.zero_credit_accuracy}")
    return result


def load(path, base=CONFIG):
    """The Config of a TOML file of overrides (tables as in Config: [points], [performance], ...); fields it does not
    name keep `base`'s value. ConfigError, naming the file and the field, when the file is not usable."""
    try:
        with open(path, "rb") as handle:
            overrides = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read it ({error.strerror or error})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    try:
        return with_overrides(base, overrides)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None
