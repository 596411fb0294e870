"""Stand-ins for the libraries the conv2d parts deny (see _forbidden_library.py). Each sub-folder is one stand-in,
named as the library it replaces; that list is also the list of libraries the NumPy-only worker cannot read."""
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
DENIED_LIBRARIES = tuple(sorted(p.name for p in FOLDER.iterdir() if (p / "__init__.py").is_file()))
