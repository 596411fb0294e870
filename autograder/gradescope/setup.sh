#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (default image: Ubuntu 22.04 with
# Python 3.10). It installs the pinned grading requirements into a virtual environment OUTSIDE /autograder/source
# (run_autograder makes the source unreadable to students, and the sandboxed student code must still be able to run
# this Python), and creates the unprivileged user the sandbox runs student code as.
set -euo pipefail

SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"     # /autograder/source
VENV=/opt/cnn-grader                                        # run_autograder's default AUTOGRADER_PYTHON lives here
SANDBOX_USER=cnnstudent                                     # autograder/sandbox/__init__.py: SANDBOX_USER

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip util-linux coreutils

python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --no-cache-dir --upgrade pip
"$VENV/bin/python" -m pip install --quiet --no-cache-dir -r "$SOURCE/requirements.txt"
chmod -R a+rX "$VENV"                                       # the sandbox user runs this interpreter and its packages

if ! id -u "$SANDBOX_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$SANDBOX_USER"
fi

# Fail the image build now, rather than every submission later, if the environment is incomplete.
"$VENV/bin/python" -c "import numpy, tensorflow, sklearn, gradescope_utils, nbformat; print('numpy', numpy.__version__, 'tensorflow', tensorflow.__version__)"
su -s /bin/sh "$SANDBOX_USER" -c "cd / && $VENV/bin/python -c 'import numpy, tensorflow'"
echo "setup.sh: grading environment ready in $VENV; sandbox user $SANDBOX_USER"
