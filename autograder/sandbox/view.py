"""What the sandbox sees: an allow-list. New PID, mount, IPC, UTS and network namespaces, built in the child between
fork and exec, around a new root that holds only what `allowed()` lists, bound read-only at the same paths:

- the Python runtime: the interpreter, its standard library (without the base interpreter's own site-packages or
  dist-packages), libpython, the venv's pyvenv.cfg and the symlinks that lead to them;
- the installed distributions the worker may import and what they require (NumPy and matplotlib for a conv2d's
  worker; TensorFlow too for the model's), found through their metadata (RECORD), each file's top-level folder and
  no other;
- the system's shared libraries (/lib/<triplet>, /usr/lib/<triplet>, /lib64), /etc, a few devices, the CPU and
  cgroup parts of /sys, a fresh /proc (the sandbox's own processes);
- the sandbox's runtime folder (worker, stand-ins; read-only) and its scratch (the submission; writable);
- private tmpfs at /tmp, /var/tmp, /dev/shm and /run/lock.

Nothing else exists in the view: no other site-packages or dist-packages, no /opt, /usr/local, /home, /root, wheels
or caches, no checkout. Where the kernel refuses namespaces (Gradescope), setup.sh makes the same allow-list with
file permissions on the image (`restrict_to_allowed`), and `restrict_libraries` keeps the convolving libraries of
the venv to the model's group.
"""
import ctypes
import ctypes.util
import hashlib
import importlib.metadata
import json
import os
import re
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

from autograder.sandbox.identity import SHARED_TEMP, STATE_DIR

PRIVATE_TMPFS_MB = 256           # each private SHARED_TEMP folder; charged to the sandbox's memory cgroup
LIBRARY_GID = 63999              # owns the libraries restrict_libraries() denies to sandboxes without this group
TRIPLET = sysconfig.get_config_var("MULTIARCH") or "x86_64-linux-gnu"
SYSTEM_LIBRARIES = (f"/lib/{TRIPLET}", f"/usr/lib/{TRIPLET}", "/lib64", "/usr/lib64", "/etc")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
KERNEL_VIEWS = ("/sys/devices/system/cpu", "/sys/fs/cgroup")      # CPU count and quotas (OpenBLAS, TensorFlow)
SITE_FOLDERS = ("site-packages", "dist-packages")

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
NAMESPACES = {"pid": CLONE_NEWPID, "mount": CLONE_NEWNS, "ipc": CLONE_NEWIPC, "uts": CLONE_NEWUTS,
              "network": CLONE_NEWNET}
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG = 1

LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
LIBC.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
SYS_PIVOT_ROOT = 155             # x86-64, as the seccomp filter


NAMESPACES_CHECKED = {}


def namespaces_available():
    """The namespace flags a child may unshare here (all of them, or 0: the permissions mode)."""
    if "flags" not in NAMESPACES_CHECKED:
        wanted = 0
        for flag in NAMESPACES.values():
            wanted |= flag
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                if LIBC.unshare(wanted) == 0 and LIBC.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) == 0 \
                        and LIBC.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, b"size=64k") == 0:
                    code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        NAMESPACES_CHECKED["flags"] = wanted if os.waitstatus_to_exitcode(status) == 0 else 0
    return NAMESPACES_CHECKED["flags"]


class View:
    """What one sandbox shows: `read_only` and `writable` paths (absolute, as the grader sees them), `covered`
    folders inside them shown empty, and `python_path`, the folders of the allowed distributions (the worker's
    PYTHONPATH: a .pth file that put them on the grader's path is not shown)."""

    def __init__(self, read_only, writable, covered, python_path):
        self.read_only, self.writable = tuple(read_only), tuple(writable)
        self.covered, self.python_path = tuple(covered), tuple(python_path)


def allowed(libraries, runtime, scratch):
    """The View of a worker that may import `libraries` (import names, with what their distributions require)."""
    python_files, covered = python_runtime()
    folders, python_path = distribution_folders(libraries)
    read_only = [*python_files, *folders, *SYSTEM_LIBRARIES, *DEVICES, *KERNEL_VIEWS, str(runtime)]
    return View([path for path in read_only if os.path.lexists(path)], [str(scratch)], covered, python_path)


def python_runtime():
    """(paths, covered): the interpreter as the worker starts it (sys.executable, its symlinks followed), the
    venv's pyvenv.cfg, libpython and the standard library; covered: the site-packages and dist-packages inside the
    standard library (the base interpreter's own installed packages)."""
    paths = [sys.executable, os.path.join(sys.prefix, "pyvenv.cfg")]
    library = sysconfig.get_config_var("LIBDIR") or ""
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        paths += [str(p) for p in Path(library).glob("libpython3*.so*")]
    standard = {sysconfig.get_paths(vars={"installed_base": sys.base_prefix, "base": sys.base_prefix,
                                          "platbase": sys.base_prefix, "installed_platbase": sys.base_prefix})[key]
                for key in ("stdlib", "platstdlib")}
    paths += sorted(standard)
    covered = [os.path.join(folder, name) for folder in standard for name in SITE_FOLDERS
               if os.path.isdir(os.path.join(folder, name))]
    return [p for p in paths if os.path.lexists(p)], covered


_DISTRIBUTIONS = {}


def distribution_folders(libraries):
    """(paths, sites): every top-level file or folder installed by the distributions that provide `libraries`
    (import names) and by those they require (markers evaluated, extras not followed), with their .dist-info;
    sites: the folders that hold them, in sys.path's order."""
    key = tuple(sorted(libraries))
    if key not in _DISTRIBUTIONS:
        _DISTRIBUTIONS[key] = _cached_on_disk(key, lambda: _distribution_folders(key))
    return _DISTRIBUTIONS[key]


def _cached_on_disk(libraries, compute):
    """compute(), kept in the root-only state folder between gradings: reading every installed distribution's
    metadata costs ~1.3 s of CPU, once per library set and environment, where a grading costs ~13. The key holds the
    libraries, the interpreter and each import folder's modification time: installing or removing a distribution
    changes its folder, and so the key."""
    folders = [folder for folder in sys.path if os.path.isdir(folder)]
    fingerprint = repr((libraries, sys.executable, sys.prefix,
                        [(folder, os.stat(folder).st_mtime_ns) for folder in folders]))
    path = STATE_DIR / f"allow-list-{hashlib.sha256(fingerprint.encode()).hexdigest()[:20]}.json"
    try:
        paths, sites = json.loads(path.read_text())
        if all(isinstance(item, str) for item in paths + sites):
            return paths, sites
    except (OSError, ValueError, TypeError):
        pass
    paths, sites = compute()
    if os.geteuid() == 0 and STATE_DIR.is_dir():
        temporary = path.with_name(path.name + f".{os.getpid()}")
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as file:
            json.dump([paths, sites], file)
        os.replace(temporary, path)             # whole or not at all, for a grader reading it meanwhile
    return paths, sites


def _distribution_folders(libraries):
    providers = importlib.metadata.packages_distributions()
    todo = [name for library in libraries for name in providers.get(library, [])]
    missing = [library for library in libraries if library not in providers]
    if missing:
        raise LookupError(f"no installed distribution provides {', '.join(missing)}")
    seen, paths, sites = set(), set(), set()
    while todo:
        name = canonical(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue            # an optional requirement that is not installed
        site = Path(dist.locate_file(""))
        sites.add(str(site))
        for file in dist.files or ():
            if file.parts and file.parts[0] != "..":           # "../../bin/..." are scripts outside site-packages
                paths.add(str(site / file.parts[0]))
        for requirement in dist.requires or ():
            required = requirement_name(requirement)
            if required:
                todo.append(required)
    order = [os.path.realpath(p) for p in sys.path]
    return (sorted(p for p in paths if os.path.lexists(p)),
            sorted(sites, key=lambda s: order.index(os.path.realpath(s)) if os.path.realpath(s) in order else 99))


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement):
    """The distribution a Requires-Dist line names when its marker holds here without extras, else None."""
    name, _, marker = requirement.partition(";")
    if marker.strip():
        try:
            from packaging.markers import Marker
            if not Marker(marker.strip()).evaluate({"extra": ""}):
                return None
        except Exception:           # noqa: BLE001 - a marker we cannot read: the requirement is shown too
            pass
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", name)
    return match.group(1) if match else None


def wait_for_child_and_mirror_it(reaper=False):
    """Fork. The child returns; this process closes every descriptor, waits for that child (reaping any other
    orphan meanwhile when it is the namespace's PID 1) and exits as the child did: 128 + signal if killed."""
    child = os.fork()
    if child == 0:
        return
    os.closerange(3, 1 << 30)
    while True:
        try:
            pid, status = os.waitpid(-1 if reaper else child, 0)
        except ChildProcessError:
            os._exit(1)
        except InterruptedError:
            continue
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            os._exit(128 - code if code < 0 else code)


def mount(source, target, fstype, flags, data=None):
    encode = (lambda value: value.encode() if isinstance(value, str) else value)
    check(LIBC.mount(encode(source), encode(target), encode(fstype), flags, data), f"mount {target}")


def check(result, what):
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def namespace_of(pid, kind):
    try:
        return os.readlink(f"/proc/{pid}/ns/{kind}")
    except OSError:
        return None


def library_folders(names):
    """The installed folders of the libraries `names` (import names) in every site- or dist-packages folder, with their
    companion `<name>.libs` folders (bundled shared libraries)."""
    names = {name.lower() for name in names}
    if "sklearn" in names:
        names.add("scikit_learn")            # its bundled libraries' folder: scikit_learn.libs
    found = []
    for site in sorted({p for p in sys.path if p.endswith(SITE_FOLDERS) and os.path.isdir(p)}):
        for entry in os.listdir(site):
            path = os.path.join(site, entry)
            if entry.split(".")[0].lower() in names and os.path.isdir(path) and not entry.endswith("-info"):
                found.append(os.path.realpath(path))
    return tuple(sorted(found))


def restrict_libraries(names, gid=LIBRARY_GID):
    """For machines without namespaces (Gradescope): make the libraries `names` readable only by root and the
    group `gid`, which sandboxes that may use them get (setup.sh runs this once). Returns the folders changed."""
    folders = library_folders(names)
    for folder in folders:
        subprocess.run(["chgrp", "-R", str(gid), folder], check=True)
        subprocess.run(["chmod", "-R", "o-rwx", folder], check=True)
    return folders


def build(namespaces, shown, new_root):
    """In the child, inside new namespaces (as root): make `new_root` (an empty folder) a tmpfs holding exactly the
    View `shown`, and pivot into it. The working directory is kept (it is the scratch folder, which is shown)."""
    cwd = os.getcwd()
    os.umask(0o022)         # the folders made below must be traversable whatever the grader's umask
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = str(new_root)
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, b"size=1m,mode=755")
    # The private temporary folders first: a runtime inside one (a checkout in `mktemp -d`) is shown inside them.
    for folder in SHARED_TEMP:
        os.makedirs(root + folder, mode=0o755, exist_ok=True)
        mount("tmpfs", root + folder, "tmpfs", MS_NOSUID | MS_NODEV, f"size={PRIVATE_TMPFS_MB}m,mode=1777".encode())
    bound = set()
    for path in shown.read_only:
        _show(path, root, bound, writable=False)
    for path in shown.writable:
        _show(path, root, bound, writable=True)
    for folder in shown.covered:
        if os.path.isdir(root + folder):
            mount("tmpfs", root + folder, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, b"size=4k,mode=755")
    os.makedirs(root + "/proc", exist_ok=True)
    os.makedirs(root + "/.old", exist_ok=True)
    check(LIBC.syscall(SYS_PIVOT_ROOT, root.encode(), (root + "/.old").encode()), "pivot_root")
    os.chdir("/")
    check(LIBC.umount2(b"/.old", MNT_DETACH), "umount /.old")
    os.rmdir("/.old")
    if namespaces & CLONE_NEWPID:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(cwd)


def _show(path, root, bound, writable):
    """Make absolute `path` exist under root as it does outside: its symlinks recreated (and what they point to
    shown), the file or folder it names bound at the same place, read-only unless writable."""
    parts = Path(path).parts
    current = "/"
    for index, part in enumerate(parts[1:], start=1):
        current = os.path.join(current, part)
        if current in bound:
            return                      # shown already, with everything inside it
        inside = root + current
        info = os.lstat(current)
        if stat.S_ISLNK(info.st_mode):
            if not os.path.lexists(inside):
                os.symlink(os.readlink(current), inside)
            target = os.path.join(os.path.dirname(current), os.readlink(current), *parts[index + 1:])
            _show(os.path.normpath(target), root, bound, writable)
            return
        if index < len(parts) - 1:
            os.makedirs(inside, mode=0o755, exist_ok=True)
            continue
        if stat.S_ISDIR(info.st_mode):
            os.makedirs(inside, mode=0o755, exist_ok=True)
        elif not os.path.lexists(inside):
            os.close(os.open(inside, os.O_CREAT | os.O_WRONLY, 0o644))
        mount(current, inside, None, MS_BIND | MS_REC)
        flags = MS_REMOUNT | MS_BIND | MS_NOSUID | (0 if writable or stat.S_ISCHR(info.st_mode) else MS_RDONLY)
        if not stat.S_ISCHR(info.st_mode):
            flags |= MS_NODEV
        mount(None, inside, None, flags)
        bound.add(current)


def reached(path):
    """The real paths that reading `path` goes through: every symbolic link on the way (by its real location) and
    the file or folder it ends at."""
    found = []
    parts = Path(path).parts
    current = "/"
    for index, part in enumerate(parts[1:], start=1):
        current = os.path.join(current, part)
        if os.path.islink(current):
            found.append(current)
            target = os.path.join(os.path.dirname(current), os.readlink(current), *parts[index + 1:])
            return found + reached(os.path.normpath(target))
    return found + [current]


EXEMPT = ("/proc", "/sys", "/dev", *SHARED_TEMP)       # kernel views and the folders anyone may write


def restrict_to_allowed(shown, top="/", exempt=EXEMPT):
    """Without namespaces (Gradescope's image; setup.sh runs this once, as root): the allow-list made with
    permissions. Every file or folder under `top` that is neither shown (View `shown`: read_only, writable) nor on
    the way to something shown loses the permissions of "others" (the sandbox uids); the folders on the way keep
    only their "x" (traversable, not listable); the covered folders (the base interpreter's site-packages) lose
    them too. Symbolic links are never followed. Returns the paths changed."""
    keep = {Path(real) for path in (*shown.read_only, *shown.writable) for real in reached(path)}
    on_the_way = {parent for path in keep for parent in path.parents}
    exempt = {Path(path) for path in exempt}
    changed = []

    def close(path, mode, bits):
        if mode & 0o007 != bits:
            os.chmod(path, (mode & 0o7770) | bits)
            changed.append(str(path))

    def visit(folder):
        with os.scandir(folder) as entries:
            for entry in entries:
                path = Path(entry.path)
                if path in keep or path in exempt or entry.is_symlink():
                    continue
                mode = entry.stat(follow_symlinks=False).st_mode
                if path in on_the_way:
                    close(path, mode, 0o001)
                    visit(path)
                else:
                    close(path, mode, 0)

    visit(Path(top))
    for folder in shown.covered:
        if os.path.isdir(folder) and not os.path.islink(folder):
            close(Path(folder), os.stat(folder).st_mode, 0)
    return changed


def restrict_image(libraries, state_dir):
    """setup.sh's allow-list on Gradescope's image: what the model's worker may see (the NumPy-only worker sees
    less: restrict_libraries), the sandboxes' folder under `state_dir` made at grading time."""
    os.makedirs(state_dir, mode=0o711, exist_ok=True)
    shown = allowed(libraries, runtime=state_dir, scratch=state_dir)
    return restrict_to_allowed(shown)
