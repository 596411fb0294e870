"""Stand-in: see _forbidden_library.py (the real library cannot be read while conv2d is graded)."""
from _forbidden_library import install

install(__name__)
