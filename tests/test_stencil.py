"""The student release: the generator's transform, stencil/ in sync with solution/, and the stencil as shipped."""
import ast
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autograder.stencil import StencilError, generate, main, stale_files, transform_python

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solution"
STENCIL = ROOT / "stencil"

FUNCTION_REGION = textwrap.dedent('''\
    import numpy as np


    def area(width, height):
        """Area of a rectangle."""
        # BEGIN SOLUTION: Multiply "width" by the height.
        product = width * height
        return product
        # END SOLUTION
    ''')


def test_function_region_becomes_todo_and_raise():
    stencil = transform_python(FUNCTION_REGION, "shapes.py")
    assert stencil == textwrap.dedent('''\
        import numpy as np


        def area(width, height):
            """Area of a rectangle."""
            # TODO: Multiply "width" by the height.
            raise NotImplementedError("area: Multiply \\"width\\" by the height.")
        ''')
    namespace = {}
    exec(compile(stencil, "shapes.py", "exec"), namespace)
    with pytest.raises(NotImplementedError, match=r'^area: Multiply "width" by the height\.$'):
        namespace["area"](2, 3)


def test_method_region_names_the_innermost_function_and_default_hint():
    source = textwrap.dedent('''\
        class Model:
            def call(self, inputs):
                def helper(x):
                    return x
                if inputs:
                    # BEGIN SOLUTION
                    return helper(inputs)
                    # END SOLUTION
                return None
        ''')
    stencil = transform_python(source, "model.py")
    assert '            raise NotImplementedError("call: write your code here")\n' in stencil
    assert "            # TODO: write your code here\n" in stencil
    assert "return helper(inputs)" not in stencil
    ast.parse(stencil)


def test_top_level_region_is_deleted_with_its_blank_lines():
    source = FUNCTION_REGION + textwrap.dedent('''\


        # BEGIN SOLUTION
        def _helper():
            return 1
        # END SOLUTION


        CONSTANT = 2
        ''')
    stencil = transform_python(source, "shapes.py")
    assert "_helper" not in stencil and "SOLUTION" not in stencil
    assert stencil.endswith('by the height.")\n\n\nCONSTANT = 2\n')


def test_markers_inside_strings_are_text_not_markers():
    source = 'TEMPLATE = """\n# BEGIN SOLUTION\n"""\n'
    assert transform_python(source, "template.py") == source


@pytest.mark.parametrize("source, line, problem", [
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n", 2, "never closed"),
    ("def f():\n    return 1\n    # END SOLUTION\n", 3, "without a BEGIN"),
    ("def f():\n    # BEGIN SOLUTION\n    # BEGIN SOLUTION\n    x = 1\n    # END SOLUTION\n", 3, "inside the region"),
    ("def f():\n    if True:\n        # BEGIN SOLUTION\n        x = 1\n    # END SOLUTION\n", 5,
     "indented differently"),
    ("class A:\n    # BEGIN SOLUTION\n    x = 1\n    # END SOLUTION\n", 2, "inside a function"),
])
def test_bad_markers_raise_naming_file_and_line(source, line, problem):
    with pytest.raises(StencilError, match=rf"^broken\.py:{line}: .*{problem}"):
        transform_python(source, "broken.py")


def test_output_that_does_not_parse_fails_loudly():
    # Deleting the top-level region leaves `if` without a body.
    source = "if True:\n# BEGIN SOLUTION\n    x = 1\n# END SOLUTION\n"
    with pytest.raises(StencilError, match="does not parse"):
        transform_python(source, "broken.py")


def test_generate_writes_copies_removes_and_is_repeatable(tmp_path):
    solution, stencil = tmp_path / "solution", tmp_path / "stencil"
    (solution / "data").mkdir(parents=True)
    (solution / "shapes.py").write_text(FUNCTION_REGION)
    (solution / "data" / "notes.txt").write_bytes(b"kept # BEGIN SOLUTION as is\r\n")
    (solution / "__pycache__").mkdir()
    (solution / "__pycache__" / "shapes.cpython-310.pyc").write_bytes(b"\0")
    (solution / ".hidden").write_text("secret")
    (stencil / "old").mkdir(parents=True)
    (stencil / "old" / "gone.py").write_text("x = 1\n")

    assert stale_files(solution, stencil) == ["data/notes.txt", "old/gone.py", "shapes.py"]
    written = generate(solution, stencil)
    assert sorted(path.relative_to(stencil).as_posix() for path in written) == ["data/notes.txt", "shapes.py"]
    assert not (stencil / "old" / "gone.py").exists()
    assert not (stencil / "__pycache__").exists() and not (stencil / ".hidden").exists()
    assert (stencil / "data" / "notes.txt").read_bytes() == b"kept # BEGIN SOLUTION as is\r\n"
    first = (stencil / "shapes.py").read_bytes()
    assert b"NotImplementedError" in first and b"product" not in first
    assert stale_files(solution, stencil) == []

    assert generate(solution, stencil) == []          # nothing changed: nothing written
    assert (stencil / "shapes.py").read_bytes() == first
    (solution / "shapes.py").write_text(FUNCTION_REGION.replace("height", "depth"))
    assert stale_files(solution, stencil) == ["shapes.py"]
    assert main(["--check", "--solution", str(solution), "--stencil", str(stencil)]) == 1
    assert main(["--solution", str(solution), "--stencil", str(stencil)]) == 0
    assert main(["--check", "--solution", str(solution), "--stencil", str(stencil)]) == 0


def test_shipped_stencil_is_in_sync_with_solution():
    stale = stale_files(SOLUTION, STENCIL)
    assert stale == [], f"stencil/ is out of date with solution/ ({', '.join(stale)}); run `make stencil`"


def test_shipped_stencil_has_no_answers():
    for path in STENCIL.glob("*.py"):
        assert "SOLUTION" not in path.read_text(), f"{path.name} still holds a solution marker"


def run_python(args, cwd, timeout=120):
    """Runs this Python in cwd, so that `import convolution` finds that folder's files; TF on reference kernels."""
    env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="0", TF_CPP_MIN_LOG_LEVEL="2", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


# Run inside stencil/: each entry point the student must write raises NotImplementedError (and imports work).
PROBE_STENCIL = textwrap.dedent('''\
    import json
    import numpy as np
    import convolution
    import assignment

    def outcome(call):
        try:
            call()
        except NotImplementedError:
            return "NotImplementedError"
        except Exception as error:
            return f"{type(error).__name__}: {error}"
        return "returned"

    inputs = np.ones((1, 4, 4, 1), np.float32)
    filters = np.ones((3, 3, 1, 1), np.float32)
    print(json.dumps({
        "conv_output_size": outcome(lambda: convolution.conv_output_size(4, 3)),
        "conv2d": outcome(lambda: convolution.conv2d(inputs, filters, 1, "VALID")),
        "CNN": outcome(lambda: assignment.CNN(10)),
        "train": outcome(lambda: assignment.train(None, inputs, np.zeros(1, np.int64))),
        "test": outcome(lambda: assignment.test(None, inputs, np.zeros(1, np.int64))),
    }))
    ''')


def test_shipped_stencil_imports_and_raises_not_implemented():
    if not (STENCIL / "assignment.py").is_file():
        pytest.skip("stencil/assignment.py does not exist yet (solution/assignment.py not written)")
    result = run_python(["-c", PROBE_STENCIL], cwd=STENCIL)
    assert result.returncode == 0, f"importing the stencil failed:\n{result.stderr[-3000:]}"
    outcomes = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcomes == dict.fromkeys(["conv_output_size", "conv2d", "CNN", "train", "test"], "NotImplementedError")


def pytest_summary(result):
    """The counts of pytest's last line, e.g. {"failed": 3, "passed": 2}."""
    return {word: int(count) for count, word in re.findall(r"(\d+) (passed|failed|error|errors)", result.stdout)}


def test_public_tests_pass_on_the_solution():
    result = run_python(["-m", "pytest", "test_public.py", "-q", "-p", "no:cacheprovider"], cwd=SOLUTION)
    assert result.returncode == 0, f"public tests fail on solution/:\n{result.stdout[-4000:]}{result.stderr[-2000:]}"
    assert pytest_summary(result)["passed"] >= 40


def test_public_tests_fail_but_do_not_error_on_the_stencil():
    result = run_python(["-m", "pytest", "test_public.py", "-q", "-p", "no:cacheprovider"], cwd=STENCIL)
    summary = pytest_summary(result)
    # Exit code 1 means "some tests failed"; 2 would be a collection error, which a student could not act on.
    output = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 1, f"expected failing tests, got exit code {result.returncode}:\n{output}"
    assert "error" not in summary and "errors" not in summary, output
    assert "passed" not in summary, f"public tests that pass on an empty stencil check nothing:\n{output}"
    assert summary["failed"] >= 40


def test_the_release_pins_what_the_grader_grades_with():
    """stencil/requirements.txt (copied from solution/) pins NumPy, TensorFlow and matplotlib at the grader's versions:
    a student's machine computes what the autograder computes."""
    def pins(path):
        found = {}
        for line in path.read_text().splitlines():
            line = line.split("#")[0].split(";")[0].strip()
            if "==" in line:
                name, version = line.split("==")
                found[name.strip().lower()] = version.strip()
        return found
    grader, release = pins(ROOT / "requirements.txt"), pins(ROOT / "stencil" / "requirements.txt")
    assert release["numpy"] == grader["numpy"] and release["matplotlib"] == grader["matplotlib"]
    assert release["tensorflow"] == grader["tensorflow-cpu"]
    assert release["pytest"] == pins(ROOT / "requirements-dev.txt")["pytest"]
