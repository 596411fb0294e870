# One entry point for instructors and CI. Every target creates the virtual environment it needs on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUBMISSIONS ?= examples/submissions
OUT ?= build/grades
JOBS ?=

.PHONY: test grade stencil fixtures bench autograder verdicts clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

test: $(VENV)/.installed
	$(PY) -m pytest

grade: $(VENV)/.installed
	$(PY) -m autograder grade $(SUBMISSIONS) --out $(OUT) $(if $(JOBS),--jobs $(JOBS))

# The student release: the self-check's data (from the fixtures and the known mistakes), then stencil/ itself.
stencil: $(VENV)/.installed
	$(PY) -m autograder selfcheck
	$(PY) -m autograder stencil

# Expected outputs made by TensorFlow; the release carries some of them, so it is regenerated too.
fixtures: $(VENV)/.installed
	$(PY) -m autograder fixtures
	$(MAKE) stencil

verdicts: $(VENV)/.installed
	$(PY) -m autograder verdicts

bench: $(VENV)/.installed
	$(PY) -m autograder.bench

# The Gradescope autograder zip (README, "Gradescope"): byte-reproducible, rebuilt every time.
autograder: $(VENV)/.installed
	$(PY) -m autograder.gradescope.package --out dist/autograder.zip

clean:
	rm -rf build dist .pytest_cache
