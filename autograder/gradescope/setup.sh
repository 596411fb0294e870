#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (default image: Ubuntu 22.04 with
# Python 3.10). It installs the pinned grading requirements into a virtual environment OUTSIDE /autograder/source
# (run_autograder makes the source unreadable to students, and the sandboxed student code must still be able to run
# this Python). Student code runs under uids of its own (sandbox.uid_base.., autograder/sandbox/identity.py), which
# need no passwd entry; the last checks prove that such a uid can run this Python and cannot read what it must not.
set -euo pipefail

SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"     # /autograder/source
VENV=/opt/cnn-grader                                        # run_autograder's default AUTOGRADER_PYTHON lives here

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip util-linux coreutils

# Exactly the locked environment (requirements/grading-py310.txt: every package pinned, with hashes) and the pinned
# pip, so that every image build installs the same bytes. The lock is for Python 3.10, the default image's.
python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' || {
    echo "setup.sh: python3 is $(python3 --version 2>&1), but requirements/grading-py310.txt is for Python 3.10:" \
         "keep Gradescope's default base image (Ubuntu 22.04), or add a lock for this version (make lock)." >&2
    exit 1
}
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --no-cache-dir --require-hashes -r "$SOURCE/requirements/pip.txt"
"$VENV/bin/python" -m pip install --quiet --no-cache-dir --require-hashes -r "$SOURCE/requirements/grading-py310.txt"
chmod -R a+rX "$VENV"                                       # the sandbox user runs this interpreter and its packages

# Fail the image build now, rather than every submission later, if the environment is incomplete.
"$VENV/bin/python" -c "import numpy, tensorflow, sklearn, gradescope_utils, nbformat, matplotlib, threadpoolctl; print('numpy', numpy.__version__, 'tensorflow', tensorflow.__version__)"
# Gradescope's container allows no namespaces, so the conv2d parts' NumPy-only sandbox relies on permissions: the
# libraries that convolve become readable only by root and LIBRARY_GID, the group the model's sandbox gets.
(cd "$SOURCE" && "$VENV/bin/python" -c 'from autograder.sandbox.isolation import restrict_libraries
from autograder.stand_ins import DENIED_LIBRARIES
print("restricted:", *restrict_libraries(DENIED_LIBRARIES))')
LIBRARY_GID=$(cd "$SOURCE" && "$VENV/bin/python" -c 'from autograder.sandbox.isolation import LIBRARY_GID; print(LIBRARY_GID)')
SANDBOX_UID=$(cd "$SOURCE" && "$VENV/bin/python" -c 'from autograder.config import CONFIG; print(CONFIG.sandbox.uid_base)')

# The allow-list the namespaces' view makes elsewhere, made here with permissions (no namespaces on Gradescope):
# everything under / that the model's worker is not shown (the runtime, its standard library, the allowed packages,
# the system's shared libraries, /etc) loses its "others" bits, and the folders on the way keep only x. Leftovers
# of this build in the shared temporary folders (pip's) go first: nothing is left there for a sandbox to load.
find /tmp /var/tmp -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system -- {} +
rm -rf /root/.cache
(cd "$SOURCE" && "$VENV/bin/python" -c 'from autograder.sandbox import MODEL_WORKER_LIBRARIES
from autograder.sandbox.identity import STATE_DIR
from autograder.sandbox.view import restrict_image
print("allow-list: closed", len(restrict_image(MODEL_WORKER_LIBRARIES, STATE_DIR)), "paths to the sandbox")')
(cd / && setpriv --reuid="$SANDBOX_UID" --regid="$SANDBOX_UID" --groups="$LIBRARY_GID" \
    "$VENV/bin/python" -c 'import numpy, tensorflow, matplotlib')
(cd / && setpriv --reuid="$SANDBOX_UID" --regid="$SANDBOX_UID" --clear-groups "$VENV/bin/python" -c '
try:
    import tensorflow
except ImportError:
    pass
else:   # an unreadable package folder imports as an empty namespace package: no code
    if getattr(tensorflow, "__file__", None) is not None:
        raise SystemExit("setup.sh: the NumPy-only sandbox can still import tensorflow")')
# Listed as root, tried as a sandbox uid: other Pythons' packages, /usr/local, /opt (but the venv) stay unreadable.
outside=$(ls -d /usr/lib/python3/dist-packages/* /usr/local/lib/* /opt/* 2>/dev/null | grep -v "^$VENV" | head -200 || true)
(cd / && setpriv --reuid="$SANDBOX_UID" --regid="$SANDBOX_UID" --clear-groups "$VENV/bin/python" -c '
import os, sys
readable = [path for path in sys.argv[1:] if os.access(path, os.R_OK)]
if readable:
    raise SystemExit(f"setup.sh: the sandbox can still read {readable[0]}")' $outside)
echo "setup.sh: grading environment ready in $VENV; sandbox uids from $SANDBOX_UID can run it"
