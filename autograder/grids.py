"""The graded cases, as grids of parameters: what the fixtures are built from. One more conv2d case is one line here
(then `make fixtures` computes its expected output with TensorFlow).

Each conv2d case is (inputs shape NHWC, filters shape HWIO, strides as given to tf.nn.conv2d, padding, dtype); its
values are random, drawn from the set's seed (config.public_seed / hidden_seed) in grid order, so the cases'
inputs are a pure function of this file and the config: `conv_set(name)` remakes them with NumPy alone.
The public set starts with the lecture's worked examples.
"""
import numpy as np

from autograder.config import CONFIG

F32, F64, I32 = "float32", "float64", "int32"


def _pads(top, bottom, left, right):
    """Explicit padding in tf.nn.conv2d's form."""
    return [[0, 0], [top, bottom], [left, right], [0, 0]]


# (inputs shape NHWC, filters shape HWIO, strides as given to TF, padding, dtype). Values are random; see random_values.
# Between them the cases cover: strides 1, 2, 3 and unequal (1, 2) / (2, 1) as int, [s], [s_h, s_w] and
# [1, s_h, s_w, 1]; SAME, VALID, explicit; kernels 1x1 to 5x5, even and non-square; odd, even, non-square and 1x1
# inputs; C_in 1/3/4, C_out 1/2/5, batch 1/3; kernel equal to the input and one larger (VALID: empty output);
# float32, float64 and small int32 values.
PUBLIC_GRID = (
    ((1, 5, 5, 1), (3, 3, 1, 1), 1, "VALID", F32),
    ((1, 5, 5, 1), (3, 3, 1, 1), 1, "SAME", F32),
    ((1, 5, 5, 1), (2, 2, 1, 1), 1, "SAME", F32),        # symmetric padding would give 4x4, TF gives 5x5
    ((1, 6, 6, 1), (3, 3, 1, 1), 2, "SAME", F32),        # TF pads (0, 1), not (1, 1)
    ((1, 6, 6, 3), (3, 3, 3, 2), [2], "VALID", F32),
    ((3, 7, 7, 3), (3, 3, 3, 5), [1, 2, 2, 1], "SAME", F32),
    ((3, 7, 5, 4), (2, 3, 4, 5), [1, 2], "VALID", F32),
    ((1, 8, 8, 1), (4, 4, 1, 2), 3, "SAME", F32),
    ((1, 8, 6, 3), (5, 5, 3, 1), [2, 1], "SAME", F32),
    ((1, 9, 9, 1), (5, 5, 1, 1), 3, "VALID", F32),
    ((1, 6, 7, 3), (3, 1, 3, 2), [1, 1, 2, 1], "SAME", F32),
    ((1, 5, 6, 1), (1, 3, 1, 2), 2, "VALID", F32),
    ((3, 4, 4, 3), (1, 1, 3, 5), 1, "VALID", F32),
    ((1, 5, 5, 4), (3, 2, 4, 1), [1, 3, 3, 1], "SAME", F32),
    ((1, 6, 6, 1), (3, 3, 1, 1), 1, _pads(1, 1, 1, 1), F32),
    ((1, 5, 7, 3), (3, 3, 3, 2), [2, 2], _pads(0, 2, 1, 0), F32),
    ((3, 6, 5, 1), (2, 3, 1, 5), [1, 2, 1, 1], _pads(2, 1, 0, 0), F32),
    ((1, 4, 4, 3), (4, 4, 3, 2), 1, "VALID", F32),       # kernel = input: 1x1 output
    ((1, 3, 3, 1), (3, 3, 1, 1), 1, "SAME", F32),        # kernel = input, SAME
    ((1, 4, 4, 1), (5, 5, 1, 2), 1, "VALID", F32),       # kernel one larger: empty output (1, 0, 0, 2)
    ((1, 3, 5, 3), (4, 3, 3, 1), 1, "VALID", F32),       # one larger in height only: (1, 0, 3, 1)
    ((3, 1, 1, 3), (3, 3, 3, 2), 1, "SAME", F32),        # 1x1 inputs
    ((1, 1, 1, 4), (1, 1, 4, 5), 1, "VALID", F32),
    ((1, 1, 1, 1), (2, 2, 1, 1), [2], "VALID", F32),     # empty
    ((1, 6, 6, 3), (3, 3, 3, 2), 2, "SAME", F64),
    ((3, 5, 7, 1), (2, 2, 1, 1), [1, 2], "VALID", F64),
    ((1, 5, 5, 1), (3, 3, 1, 1), 1, "SAME", I32),
    ((1, 6, 5, 3), (2, 3, 3, 2), [2, 1], "VALID", I32),
    ((1, 7, 7, 1), (2, 2, 1, 1), 2, "SAME", F32),
    ((1, 7, 7, 1), (3, 3, 1, 2), 2, "VALID", F32),       # ceil(5 / 2) = 3 rows; floor gives 2
    ((1, 10, 10, 1), (3, 3, 1, 1), 3, "SAME", F32),      # ceil(10 / 3) = 4; floor gives 3
    ((1, 5, 5, 3), (5, 5, 3, 2), 1, "SAME", F32),
    ((3, 8, 6, 4), (3, 3, 4, 5), [3], "SAME", F32),
    ((1, 4, 6, 1), (2, 2, 1, 1), [1, 2, 2, 1], "SAME", F32),
    ((1, 6, 6, 4), (4, 4, 4, 1), [1, 1], "SAME", F32),
    ((1, 7, 9, 3), (3, 2, 3, 2), [1, 3], _pads(1, 2, 2, 2), F32),
    ((1, 6, 6, 4), (3, 3, 4, 2), 1, "VALID", F32),
)

# Other shapes than the public grid (no (inputs shape, filters shape) pair in common), drawn from the hidden seed.
HIDDEN_GRID = (
    ((1, 7, 6, 1), (3, 3, 1, 1), 1, "VALID", F32),
    ((1, 6, 5, 1), (3, 3, 1, 2), 1, "SAME", F32),
    ((1, 6, 6, 1), (2, 2, 1, 2), 1, "SAME", F32),
    ((1, 8, 8, 1), (3, 3, 1, 1), 2, "SAME", F32),        # TF pads (0, 1)
    ((1, 7, 8, 3), (3, 3, 3, 2), [2], "VALID", F32),
    ((3, 6, 8, 3), (3, 3, 3, 5), [1, 2, 2, 1], "SAME", F32),
    ((3, 6, 7, 4), (3, 2, 4, 5), [1, 2], "VALID", F32),
    ((1, 9, 9, 1), (4, 4, 1, 2), 3, "SAME", F32),
    ((1, 9, 7, 3), (5, 5, 3, 1), [2, 1], "SAME", F32),
    ((1, 11, 11, 1), (5, 5, 1, 1), 3, "VALID", F32),
    ((1, 7, 6, 3), (1, 3, 3, 2), [1, 1, 2, 1], "SAME", F32),
    ((1, 6, 7, 1), (3, 1, 1, 2), 2, "VALID", F32),
    ((3, 5, 5, 3), (1, 1, 3, 5), [2], "VALID", F32),
    ((1, 6, 6, 4), (2, 3, 4, 1), [1, 3, 3, 1], "SAME", F32),
    ((1, 5, 5, 1), (3, 3, 1, 2), 1, _pads(2, 2, 1, 1), F32),
    ((1, 6, 8, 3), (3, 3, 3, 2), [2, 2], _pads(1, 0, 0, 2), F32),
    ((3, 5, 6, 1), (3, 2, 1, 5), [1, 1, 2, 1], _pads(0, 1, 2, 1), F32),
    ((1, 5, 3, 3), (5, 3, 3, 2), 1, "VALID", F32),       # kernel = input (non-square): 1x1 output
    ((1, 4, 4, 1), (4, 4, 1, 1), 1, "SAME", F32),        # kernel = input, SAME
    ((1, 3, 3, 1), (4, 4, 1, 2), 1, "VALID", F32),       # kernel one larger: empty output
    ((1, 4, 3, 3), (4, 4, 3, 1), 1, "VALID", F32),       # one larger in width only: (1, 1, 0, 1)
    ((1, 1, 1, 3), (2, 2, 3, 5), [2], "SAME", F32),      # 1x1 inputs
    ((3, 1, 1, 1), (1, 1, 1, 2), 1, "VALID", F32),
    ((1, 1, 1, 4), (2, 2, 4, 1), 1, "VALID", F32),       # empty
    ((1, 7, 5, 3), (3, 3, 3, 2), 2, "SAME", F64),
    ((3, 6, 6, 1), (2, 2, 1, 1), [2, 1], "VALID", F64),
    ((1, 6, 7, 1), (3, 3, 1, 2), 1, "SAME", I32),
    ((1, 7, 6, 3), (3, 2, 3, 2), [1, 2], "VALID", I32),
    ((1, 9, 9, 1), (2, 2, 1, 1), 2, "SAME", F32),
    ((1, 9, 9, 1), (3, 3, 1, 2), 2, "VALID", F32),       # ceil(7 / 2) = 4 rows; floor gives 3
    ((1, 11, 8, 1), (3, 3, 1, 1), 3, "SAME", F32),       # ceil(11 / 3) = 4; floor gives 3
    ((1, 5, 5, 4), (5, 5, 4, 2), 1, "SAME", F32),
    ((3, 7, 7, 4), (3, 3, 4, 5), [3], "SAME", F32),
    ((1, 5, 8, 1), (2, 2, 1, 1), [1, 2, 2, 1], "SAME", F32),
    ((1, 8, 8, 4), (4, 4, 4, 1), [1, 1], "SAME", F32),
    ((1, 9, 7, 3), (2, 3, 3, 2), [1, 3], _pads(2, 1, 1, 2), F32),
    ((1, 7, 7, 4), (3, 3, 4, 2), 1, "VALID", F32),
    ((3, 8, 5, 3), (4, 2, 3, 2), [3, 2], "VALID", F32),
    ((1, 10, 7, 1), (5, 3, 1, 5), [3, 1], "SAME", F32),
    ((1, 6, 9, 4), (3, 3, 4, 1), [1, 3], "SAME", F32),
)

# conv_output_size cases (in_size, filter_size, stride, padding). SAME/VALID expectations come from the shape that
# tf.nn.conv2d produces; an int padding p follows the lecture's floor((w - f + 2p) / s) + 1, or 0 when f does not fit.
OUTPUT_SIZE_GRID = (
    (5, 2, 1, "SAME"), (6, 3, 2, "SAME"),       # REFERENCE §1 counter-examples: 5 (not 4) and 3
    (4, 3, 1, "SAME"), (7, 3, 2, "SAME"), (10, 3, 3, "SAME"), (1, 3, 1, "SAME"), (5, 5, 1, "SAME"),
    (8, 4, 3, "SAME"), (6, 2, 2, "SAME"), (3, 5, 2, "SAME"), (9, 1, 2, "SAME"), (7, 4, 1, "SAME"),
    (32, 5, 2, "SAME"), (1, 1, 1, "SAME"),
    (4, 3, 1, "VALID"), (5, 2, 1, "VALID"), (6, 3, 2, "VALID"), (7, 3, 2, "VALID"), (10, 3, 3, "VALID"),
    (4, 5, 1, "VALID"), (1, 1, 1, "VALID"), (5, 5, 1, "VALID"), (8, 4, 3, "VALID"), (9, 1, 2, "VALID"),
    (7, 2, 3, "VALID"), (6, 6, 2, "VALID"), (1, 2, 3, "VALID"), (32, 5, 2, "VALID"),
    (4, 3, 1, 0), (4, 3, 1, 1),                 # REFERENCE §2: 2, and 4 (= SAME at stride 1)
    (5, 2, 1, 0), (7, 3, 2, 1), (6, 3, 2, 1), (32, 5, 2, 2), (5, 3, 2, 0), (2, 5, 1, 0), (2, 5, 1, 1),
    (3, 5, 1, 1), (10, 3, 3, 1), (1, 1, 1, 0), (8, 4, 3, 2), (9, 2, 4, 3),
)


def random_values(rng, shape, dtype):
    """Random non-symmetric values: standard normal for floats, small integers in [-4, 4] for int32."""
    if dtype == I32:
        return rng.integers(-4, 5, size=shape).astype(np.int32)
    return rng.standard_normal(shape).astype(dtype)


def lecture_cases():
    """REFERENCE §2's worked examples as (id, inputs, filters, strides, padding, note), float32 with integer values."""
    edges_image = [[2, 0, 1, 3], [7, 1, 1, 0], [0, 2, 5, 0], [0, 5, 1, 4]]
    edges_kernel = [[1, 1, 1], [0, 0, 0], [-1, -1, -1]]              # -> [[-4, -3], [3, -8]]
    sobel_image = [[2, 0, 3, 1], [1, 1, 0, 0], [1, 0, 2, 0], [1, 0, 1, 2]]
    sobel_kernel = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]              # -> [[0, 1], [-1, -1]]
    # Curve detector: 30 along a curve; on a field with the same curve the sum is 6600, on a field whose
    # strokes miss the filter's cells it is 0. Pixels off the filter's cells make both fields non-symmetric.
    curve = np.zeros((7, 7), np.float32)
    for row, column in [(0, 5), (1, 4), (2, 3), (3, 3), (4, 3), (5, 3)]:
        curve[row, column] = 30
    matching, missing = np.zeros((7, 7), np.float32), np.zeros((7, 7), np.float32)
    for (row, column), value in {(0, 5): 50, (1, 4): 50, (2, 3): 50, (3, 3): 20, (4, 3): 50,
                                 (5, 2): 50, (6, 2): 50, (0, 6): 20}.items():
        matching[row, column] = value                                # 30 * (50 + 50 + 50 + 20 + 50) = 6600
    for row in range(7):
        missing[row, 0] = 40
        missing[row, 1] = 20 if row % 2 else 0
    image = lambda rows: np.array(rows, np.float32).reshape(1, 4, 4, 1)
    kernel = lambda rows: np.array(rows, np.float32).reshape(3, 3, 1, 1)
    return [
        ("lecture_edges", image(edges_image), kernel(edges_kernel), 1, "VALID",
         "lecture: horizontal-edge filter on a 4x4 image, expected [[-4, -3], [3, -8]]"),
        ("lecture_sobel", image(sobel_image), kernel(sobel_kernel), 1, "VALID",
         "lecture: Sobel filter on a 4x4 image, expected [[0, 1], [-1, -1]]"),
        ("lecture_curve", np.stack([matching, missing]).reshape(2, 7, 7, 1), curve.reshape(7, 7, 1, 1), 1, "VALID",
         "lecture: curve detector on a matching and a non-matching field, expected 6600 and 0"),
    ]


def conv_set(name, config=CONFIG):
    """[(id, inputs, filters, strides, padding, note)] of the set "public" or "hidden": the lecture's examples first
    (public only), then the random grid, drawn from the set's seed."""
    grid, seed = {"public": (PUBLIC_GRID, config.public_seed), "hidden": (HIDDEN_GRID, config.hidden_seed)}[name]
    cases = lecture_cases() if name == "public" else []
    rng = np.random.default_rng(seed)
    for index, (input_shape, filter_shape, strides, padding, dtype) in enumerate(grid):
        cases.append((f"{name}{index:03d}", random_values(rng, input_shape, dtype),
                      random_values(rng, filter_shape, dtype), strides, padding, None))
    return cases
