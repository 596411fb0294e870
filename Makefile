# One entry point for instructors and CI. Every target creates the virtual environment it needs on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUBMISSIONS ?= examples/submissions
OUT ?= build/grades
JOBS ?=
CONFIG ?=
UNSAFE ?=
ARGS ?=

.PHONY: preflight test test-loaded grade stencil fixtures bench autograder verdicts lock clean

# The venv is built from the complete lock for the Python that builds it (requirements/dev-py311.txt for Python
# 3.11): every package pinned with its hashes, pip itself too. `make lock` regenerates the locks after an edit of
# requirements*.txt (tests/test_lock.py fails until then).
PY_TAG := $(shell $(PYTHON) -c 'import sys; print("py%d%d" % sys.version_info[:2])')
LOCK := requirements/dev-$(PY_TAG).txt
LOCK_PYTHONS := 3.10 3.11 3.12 3.13
UV_VERSION := 0.13.9
PIP_VERSION := 26.3
UV_COMPILE = build/uv/bin/uv pip compile --quiet --generate-hashes --custom-compile-command "make lock"

# Before anything is installed: Linux, root (unless UNSAFE=1) and a supported Python, each with its fix.
preflight:
	@$(PYTHON) autograder/sandbox/preflight.py $(if $(UNSAFE),--unsafe)

$(VENV)/.installed: $(wildcard $(LOCK)) requirements/pip.txt
	@test -f $(LOCK) || { echo "No lock for $(PYTHON) ($(PY_TAG)): $(LOCK) does not exist. Locks exist for:" \
	    $(patsubst requirements/dev-%.txt,%,$(wildcard requirements/dev-py*.txt))". Run make with" \
	    "PYTHON=python3.11 (for example), or add the version to LOCK_PYTHONS and run 'make lock'." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements/pip.txt
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	touch $@

test: preflight $(VENV)/.installed
	$(PY) -m pytest

# The same suite with two CPU-bound processes per core beside it (tests/under_load.py): no test may need a quiet machine.
test-loaded: preflight $(VENV)/.installed
	$(PY) tests/under_load.py

# make grade [SUBMISSIONS=folder] [OUT=folder] [JOBS=n] [CONFIG=course.toml] [UNSAFE=1: no sandbox, trusted code only]
#            [ARGS="--similarity ...": any other option of python -m autograder grade]
grade: preflight $(VENV)/.installed
	$(PY) -m autograder grade $(SUBMISSIONS) --out $(OUT) $(if $(JOBS),--jobs $(JOBS)) \
	    $(if $(CONFIG),--config $(CONFIG)) $(if $(UNSAFE),--unsafe-no-sandbox) $(ARGS)

# The student release: the self-check's data (from the fixtures and the known mistakes), then stencil/ itself.
stencil: $(VENV)/.installed
	$(PY) -m autograder selfcheck
	$(PY) -m autograder stencil

# Expected outputs made by TensorFlow; the release carries some of them, so it is regenerated too.
fixtures: $(VENV)/.installed
	$(PY) -m autograder fixtures
	$(MAKE) stencil

verdicts: preflight $(VENV)/.installed
	$(PY) -m autograder verdicts

bench: preflight $(VENV)/.installed
	$(PY) -m autograder.bench

# The Gradescope autograder zip (README, "Gradescope"): byte-reproducible, rebuilt every time.
autograder: $(VENV)/.installed
	$(PY) -m autograder.gradescope.package --out dist/autograder.zip

# Regenerate the locks with uv (pinned, in its own venv). Versions already in a lock are kept unless requirements*.txt
# asks otherwise; delete a lock to re-resolve it from scratch. Each Python's grading lock is constrained by its
# development lock, so that the tests run the versions grading installs: 3.10's is what Gradescope's setup.sh
# installs; the others are what tests/test_gradescope_runtime.py builds its grading-only environment from.
lock:
	test -x build/uv/bin/uv || { $(PYTHON) -m venv build/uv && build/uv/bin/python -m pip install --quiet uv==$(UV_VERSION); }
	for version in $(LOCK_PYTHONS); do tag=py$$(echo $$version | tr -d .); \
	    $(UV_COMPILE) --python-version $$version requirements-dev.txt -o requirements/dev-$$tag.txt && \
	    $(UV_COMPILE) --python-version $$version requirements.txt -c requirements/dev-$$tag.txt \
	        -o requirements/grading-$$tag.txt || exit 1; done
	echo "pip==$(PIP_VERSION)" | $(UV_COMPILE) --python-version 3.10 - -o requirements/pip.txt

clean:
	rm -rf build dist .pytest_cache
