"""What the sandbox sees: new PID, mount, IPC, UTS and network namespaces, built in the child between fork and exec.

In the mount namespace /tmp, /var/tmp, /dev/shm and /run/lock are private tmpfs; the hidden folders (the checkout,
the class folder, home folders, the other sandboxes) are covered by empty read-only tmpfs, and only the Python runtime
is shown again at its own path (so a checkout under a mode-700 folder works without opening it); denied libraries are
covered too; /proc shows the sandbox's own processes only. Where the kernel refuses namespaces, `restrict_libraries`
does by permissions what the view does for libraries.
"""
import ctypes
import ctypes.util
import os
import subprocess
import sys
from pathlib import Path

from autograder.sandbox.identity import SHARED_TEMP

PRIVATE_TMPFS_MB = 256           # each private SHARED_TEMP folder; charged to the sandbox's memory cgroup
HIDDEN_ALWAYS = ("/root", "/home", "/autograder", "/srv", "/mnt", "/media")
# Never covered, whatever a caller asks: the system the runtime needs (covering a parent of these would hide them).
SYSTEM = ("/usr", "/etc", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/proc", "/dev", "/sys", "/tmp", "/var/tmp",
          "/run")
LIBRARY_GID = 63999              # owns the libraries restrict_libraries() denies to sandboxes without this group

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
NAMESPACES = {"pid": CLONE_NEWPID, "mount": CLONE_NEWNS, "ipc": CLONE_NEWIPC, "uts": CLONE_NEWUTS,
              "network": CLONE_NEWNET}
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_PDEATHSIG = 1

LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
LIBC.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


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


def runtime_paths():
    """The folders the worker's Python needs: its installation and the environment's (venv) folder."""
    return sorted({os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix),
                   *(os.path.realpath(p) for p in sys.path if p.endswith("site-packages"))})


def outermost(paths):
    """Existing absolute paths with those inside another listed path dropped."""
    real = sorted({Path(os.path.realpath(p)) for p in paths if os.path.exists(p)}, key=lambda p: len(p.parts))
    kept = []
    for path in real:
        if not any(path == other or other in path.parents for other in kept):
            kept.append(path)
    return kept


def touches_system(path):
    """True for a path that is, contains or lies inside a folder the runtime needs."""
    path = Path(os.path.realpath(path))
    return any(path == Path(s) or path in Path(s).parents or Path(s) in path.parents for s in SYSTEM)


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
    """The installed folders of the libraries `names` (import names) in every site-packages folder, with their
    companion `<name>.libs` folders (bundled shared libraries)."""
    names = {name.lower() for name in names}
    if "sklearn" in names:
        names.add("scikit_learn")            # its bundled libraries' folder: scikit_learn.libs
    found = []
    for site in sorted({p for p in sys.path if p.endswith("site-packages") and os.path.isdir(p)}):
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


def build(namespaces, hide, expose, denied):
    """In the child, inside new namespaces (as root): the sandbox's view. hide: folders covered by empty tmpfs;
    expose: folders shown again at their own paths inside them or inside the private temporary folders (a checkout
    and its venv in a `mktemp -d` folder); denied: library folders covered too."""
    os.umask(0o022)         # the folders made below must be traversable whatever the grader's umask
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    # Keep a handle on what is shown again before anything covers it; bind it back at its own path after.
    handles = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in expose]
    for folder in SHARED_TEMP:
        if os.path.isdir(folder):
            mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, f"size={PRIVATE_TMPFS_MB}m,mode=1777".encode())
    for folder in hide:
        if os.path.isdir(folder):
            mount("tmpfs", str(folder), "tmpfs", MS_NOSUID | MS_NODEV, b"size=64k,mode=755")
    for path, handle in handles:
        os.makedirs(path, mode=0o755, exist_ok=True)     # inside a covering or private tmpfs, or already there
        mount(f"/proc/self/fd/{handle}", str(path), None, MS_BIND | MS_REC)
        os.close(handle)
    for folder in denied:                              # libraries this sandbox must not read
        if os.path.isdir(folder):
            mount("tmpfs", str(folder), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, b"size=4k,mode=755")
    for folder in hide:                                # the covers become read-only
        if os.path.isdir(folder):
            mount(None, str(folder), None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    if namespaces & CLONE_NEWPID:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
