"""Can this machine grade? Checked before `make` spends minutes installing TensorFlow, with the fix in each message.

    python3 autograder/sandbox/preflight.py [--unsafe]        (run by the Makefile; the standard library only)

Grading runs each student's code in a sandbox (README, Security): it needs Linux and root, to give the code a uid of
its own and, where the kernel allows, namespaces. `--unsafe` (make grade UNSAFE=1) skips the root check, as
`grade --unsafe-no-sandbox` skips the sandbox, for one's own trusted code.
"""
import os
import sys

SUPPORTED = ((3, 10), (3, 11), (3, 12), (3, 13))


def problems(unsafe=False):
    """What stops grading here: a list of messages, each with its fix (empty: go ahead)."""
    found = []
    version = sys.version_info[:2]
    if version not in SUPPORTED:
        names = ", ".join("%d.%d" % pair for pair in SUPPORTED)
        found.append(f"Python {version[0]}.{version[1]} is not supported (locks exist for {names}). Run make with "
                     f"PYTHON=python3.11, for example.")
    if not sys.platform.startswith("linux"):
        found.append(f"the sandbox needs Linux (this is {sys.platform}). Grade on a Linux machine or container.")
    elif not unsafe and os.geteuid() != 0:
        found.append("grading needs root: the sandbox gives each student's code a uid of its own. Run it as root "
                     "(sudo make ...), or, only for your own trusted code, make grade UNSAFE=1.")
    return found


def main(argv):
    found = problems(unsafe="--unsafe" in argv)
    for message in found:
        print(f"make: cannot go on: {message}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
