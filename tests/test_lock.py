"""The locks are complete and not stale (no network): every top-level pin of requirements.txt and
requirements-dev.txt appears, at the same version, in each lock made from it; every locked package is pinned with
hashes; Gradescope's lock agrees with the 3.10 development lock; the Makefile and setup.sh install from them."""
import re
import sys

import pytest
from packaging.markers import Marker

from autograder.gradescope import package
from conftest import ROOT

REQUIREMENTS = ROOT / "requirements"
GRADING_LOCK = REQUIREMENTS / "grading-py310.txt"          # what setup.sh installs on Gradescope (Python 3.10)
PYTHONS = ((3, 10), (3, 11), (3, 12), (3, 13))            # the Makefile's LOCK_PYTHONS and preflight's SUPPORTED
# the grading-only environment of tests/test_gradescope_runtime.py, on a Python of the machine
GRADING_LOCKS = {version: REQUIREMENTS / ("grading-py%d%d.txt" % version) for version in PYTHONS}
DEV_LOCKS = {version: REQUIREMENTS / ("dev-py%d%d.txt" % version) for version in PYTHONS}
PIP_LOCK = REQUIREMENTS / "pip.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def top_level_pins(path, python=None):
    """{package: version} of a requirements file, following `-r other.txt`; every line must be a `==` pin. With
    `python` ("3.10"), only the pins whose environment marker (`; python_version < "3.11"`) holds there."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            pins.update(top_level_pins(path.parent / line[3:].strip(), python))
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: '{line}' is not pinned with =="
        marker = line.partition(";")[2].strip()
        if marker and python and not Marker(marker).evaluate({"python_version": python}):
            continue
        pins[canonical(match.group(1))] = match.group(3)
    return pins


def python_of(lock):
    """"3.10" for requirements/dev-py310.txt."""
    digits = re.search(r"py(\d)(\d+)", lock.name)
    return f"{digits.group(1)}.{digits.group(2)}"


def locked(path):
    """{package: (version, number of hashes)} of a lock written by `uv pip compile --generate-hashes`."""
    entries, current = {}, None
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not line[0].isspace():
            match = PIN.match(stripped)
            assert match, f"{path.name}: '{stripped}' is not pinned with =="
            current = canonical(match.group(1))
            entries[current] = [match.group(3), 0]
        entries[current][1] += len(re.findall(r"--hash=sha256:[0-9a-f]{64}", stripped))
    return {name: tuple(value) for name, value in entries.items()}


def stale(pins, lock):
    entries = locked(lock)
    return {name: (version, entries.get(name, ("missing",))[0]) for name, version in pins.items()
            if entries.get(name, (None,))[0] != version}


@pytest.mark.parametrize("requirements, lock", [("requirements.txt", lock) for lock in GRADING_LOCKS.values()]
                         + [("requirements-dev.txt", lock) for lock in DEV_LOCKS.values()],
                         ids=lambda value: getattr(value, "name", value))
def test_every_top_level_pin_is_in_the_lock_at_the_same_version(requirements, lock):
    differences = stale(top_level_pins(ROOT / requirements, python_of(lock)), lock)
    assert not differences, (f"{lock.relative_to(ROOT)} is stale against {requirements} "
                             f"({{package: (wanted, locked)}}: {differences}): run `make lock`")


@pytest.mark.parametrize("lock", [*GRADING_LOCKS.values(), PIP_LOCK, *DEV_LOCKS.values()],
                         ids=lambda path: path.name)
def test_every_locked_package_is_pinned_with_hashes(lock):
    entries = locked(lock)
    assert entries
    assert not [name for name, (_, hashes) in entries.items() if hashes == 0], "pip --require-hashes would refuse"
    text = lock.read_text()
    assert "make lock" in text, "the lock says how to regenerate it"
    assert "-e " not in text and "file:" not in text, "nothing local or editable: the lock installs anywhere"


def test_the_locks_are_complete():
    """Transitive packages are there, not only the top-level pins: TensorFlow's own dependencies, for example."""
    for lock in (*GRADING_LOCKS.values(), *DEV_LOCKS.values()):
        entries = locked(lock)
        for transitive in ("keras", "scipy", "protobuf", "h5py", "absl-py", "joblib", "pillow"):
            assert transitive in entries, f"{lock.name} misses {transitive}"
    assert set(top_level_pins(ROOT / "requirements.txt")) < set(locked(GRADING_LOCK))


@pytest.mark.parametrize("version", sorted(GRADING_LOCKS), ids=lambda version: "py%d%d" % version)
def test_grading_installs_what_the_development_environment_tests(version):
    """Each grading lock is made with its Python's development lock as constraints (make lock): same versions.
    For 3.10 that is what Gradescope installs."""
    development = locked(DEV_LOCKS[version])
    differences = {name: (locked_version, development.get(name, ("missing",))[0])
                   for name, (locked_version, _) in locked(GRADING_LOCKS[version]).items()
                   if development.get(name, (None,))[0] != locked_version}
    assert not differences, f"{{package: (grading, development)}}: {differences}: run `make lock`"


def test_pip_itself_is_pinned_and_installed_first():
    assert set(locked(PIP_LOCK)) == {"pip"}
    setup = (ROOT / "autograder" / "gradescope" / "setup.sh").read_text()
    pip_line = setup.index('--require-hashes -r "$SOURCE/requirements/pip.txt"')
    lock_line = setup.index('--require-hashes -r "$SOURCE/requirements/grading-py310.txt"')
    assert pip_line < lock_line
    assert set(package.LOCKS) == {"requirements/pip.txt", "requirements/grading-py310.txt"}
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements/pip.txt" in makefile
    assert "--require-hashes -r $(LOCK)" in makefile and "LOCK := requirements/dev-$(PY_TAG).txt" in makefile
    assert f"PIP_VERSION := {locked(PIP_LOCK)['pip'][0]}" in makefile


def test_there_is_a_lock_for_the_python_running_the_tests():
    assert sys.version_info[:2] in DEV_LOCKS, (f"no development lock for Python {sys.version_info[0]}."
                                               f"{sys.version_info[1]}: add it to `make lock`")


def test_the_makefile_and_the_preflight_name_the_same_pythons_as_the_locks():
    from autograder.sandbox import preflight
    assert preflight.SUPPORTED == PYTHONS
    makefile = (ROOT / "Makefile").read_text()
    assert "LOCK_PYTHONS := " + " ".join("%d.%d" % version for version in PYTHONS) in makefile
    assert sorted(path.name for path in REQUIREMENTS.glob("*-py*.txt")) == sorted(
        path.name for path in (*GRADING_LOCKS.values(), *DEV_LOCKS.values()))
