"""Every number the grading depends on, in one place: points, tolerances, budgets, thresholds, visibility, seeds.

An instructor edits this file (and only this file) to change how the assignment is graded. The README's
"Configuration" section explains each field. Changing a seed or a grid here needs `make fixtures` afterwards.
"""
from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class SandboxLimits:
    memory_mb: int = 1536            # data segment of the worker (RLIMIT_DATA); TensorFlow needs ~700 MB
    cpu_s: int = 600                 # CPU seconds of the worker over its life
    file_size_mb: int = 64           # largest file the worker may write, captured stdout/stderr included
    processes: int = 512             # threads and processes of the sandbox user (TensorFlow starts ~100 threads)
    call_timeout_s: float = 10.0     # default wall-clock limit of one call into student code
    import_timeout_s: float = 60.0   # importing the student's modules (TensorFlow alone takes ~4 s)
    output_bytes: int = 20_000       # how much of the student's printed output is kept


@dataclass(frozen=True)
class Config:
    points: Points = field(default_factory=Points)
    tolerance: Tolerance = field(default_factory=Tolerance)
    performance: PerformanceBudget = field(default_factory=PerformanceBudget)
    model: ModelCheck = field(default_factory=ModelCheck)
    sandbox: SandboxLimits = field(default_factory=SandboxLimits)
    # Gradescope visibility of the hidden conv2d cases: "hidden", "after_due_date", "after_published" or "visible".
    hidden_visibility: str = "after_published"
    # The strides form in which the parts that score the convolution (2.2-2.4, 3.1) call conv2d, with padding
    # "SAME"/"VALID" and float32 arrays (explicit padding is added to the inputs by the grader): "nhwc"
    # [1, s_h, s_w, 1] (tf.nn.conv2d's docs and the course's stencil), "pair" [s_h, s_w], "single" [s] or "int"
    # (these two fall back to [s_h, s_w] when s_h != s_w). A case that raises or is wrong in it is tried in the
    # other forms, and counts if one gives the right output; part 2.5 scores the forms themselves.
    canonical_strides: str = "nhwc"
    public_seed: int = 2024
    hidden_seed: int = 8191
    digits_split_seed: int = 0       # the deterministic train/test split of the digits set
    # The graded test images get this secret, seeded noise (standard deviation, pixels in [0, 1]), so a model that
    # looks its answers up in scikit-learn's bundled digits finds no exact (or rounded) match; the reference CNN
    # loses about 1% accuracy. Keep the seed private (the sandbox cannot read this file).
    digits_test_noise: float = 0.05
    digits_test_noise_seed: int = 0x5EC2E7D161
    test_fraction: float = 0.25
    # Gradescope only: graded submissions a student may make in any 24 hours (0 = no limit). Over the limit a
    # submission is not graded (score 0) and the student is told when they can submit again.
    submissions_per_day: int = 0
    leaderboard: bool = False        # Gradescope only: add the leaderboard entries (conv2d time ratio, model accuracy)


CONFIG = Config()
