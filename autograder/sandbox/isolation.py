"""One sandbox per worker: its own identity, view, accounting and kill switch. Fails closed.

    box = Sandbox.open(limits, hide=[class_folder, ...])   # IsolationUnavailable: why, and how to fix it
    box.fill_scratch(student_dir); box.runtime / "worker.py"; box.scratch
    Popen(..., preexec_fn=box.enter)                         # in the child: cgroup, namespaces, limits, identity
    box.kill_all(); box.close()                              # nothing of the identity survives; never raises

Identity: a uid of its own from a pool (`UID_BASE` + slot, no passwd entry needed), held with a lock file for the
worker's whole life, so no two live sandboxes ever share one, and everything of that uid (processes, files in the
shared temporary folders, SysV IPC) is wiped before and after use. A uid is safe to wipe wholesale exactly because
it is never shared.

View (when the kernel allows it, as root on an ordinary machine): new PID, mount, IPC, UTS and network namespaces.
In the mount namespace /tmp, /var/tmp and /dev/shm are private tmpfs; the checkout, the class folder, home folders
and the other sandboxes are covered by empty tmpfs, and only the Python runtime is shown again at its own path (so a
checkout under a mode-700 folder works without opening it); /proc shows the sandbox's own processes only. Where
namespaces are refused (Gradescope's Docker without CAP_SYS_ADMIN), file permissions do that job: the grader's
folders lose their "others" bits, and the uid must be able to run Python or nothing runs.

Accounting: a cgroup per sandbox (v2, or v1 memory + pids + freezer) holds every process the student starts, from
any thread; its memory limit counts tmpfs and shared memory, and it is killed as a whole. Without writable cgroups,
rlimits, an RSS poll and the uid-wide kill remain, and the report says so.

`report` states only what was verified: mode, uid, namespaces, whether the network is blocked, cgroup, memory limit.
"""
import ctypes
import ctypes.util
import errno
import fcntl
import os
import pwd
import resource
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

MB = 1024 * 1024
UID_BASE = 64000                 # sandbox uids: UID_BASE .. UID_BASE + SLOTS - 1 (skipped if a user has one)
SLOTS = 64
STATE_DIR = Path("/run/cnn-autograder")        # root-only: slot locks and the sandboxes' folders
SHARED_TEMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")     # the folders anyone may write
PRIVATE_TMPFS_MB = 256           # each private SHARED_TEMP folder; charged to the sandbox's memory cgroup
HIDDEN_ALWAYS = ("/root", "/home", "/autograder", "/srv", "/mnt", "/media")
# Never covered, whatever a caller asks: the system the runtime needs (covering a parent of these would hide them).
SYSTEM = ("/usr", "/etc", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/proc", "/dev", "/sys", "/tmp", "/var/tmp", "/run")
LIBRARY_GID = 63999              # owns the libraries restrict_libraries() denies to sandboxes without this group
GRADER_RESERVE_MB = 160         # the grader's share of a container (its peak is ~50 MB resident) plus headroom
UNSAFE_VARIABLE = "AUTOGRADER_UNSAFE_NO_SANDBOX"   # set by `grade --unsafe-no-sandbox` for a trusted single user
UNSAFE_BANNER = ("UNSAFE: graded without a sandbox (--unsafe-no-sandbox): the student's code ran as the grader's "
                 "own user and could read and change anything the grader can.")

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
NAMESPACES = {"pid": CLONE_NEWPID, "mount": CLONE_NEWNS, "ipc": CLONE_NEWIPC, "uts": CLONE_NEWUTS,
              "network": CLONE_NEWNET}
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
PR_SET_PDEATHSIG = 1

_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_LIBC.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


class IsolationUnavailable(RuntimeError):
    """The sandbox cannot be established here; no student code may run. The message says why and what to do."""


def unsafe_requested():
    return os.environ.get(UNSAFE_VARIABLE) == "1"


def preflight(limits):
    """What a sandbox here would be (its report), or IsolationUnavailable before any submission is touched."""
    box = Sandbox.open(limits)
    box.close()
    return box.report


class Sandbox:
    """The isolation of one worker. Use Sandbox.open(); every public method but open() never raises."""

    def __init__(self):
        self.report = {}
        self.uid = self.gid = None
        self.root = self.runtime = self.scratch = None
        self.cgroup = None
        self._lock_fd = None
        self._namespaces = 0
        self._hide = ()
        self._expose = ()
        self.limits = None
        self._oom_kills_at_start = 0
        self._denied = ()               # library folders covered (namespaces) or unreadable (permissions)

    # -- opening -------------------------------------------------------------------------------------------------
    @classmethod
    def memory_limit_mb(cls, limits):
        """The sandbox's memory limit: the configured one, or less where the container leaves less after the
        grader's own share (GRADER_RESERVE_MB)."""
        return int(min(limits.memory_mb, container_memory_bytes() // MB - GRADER_RESERVE_MB))

    @classmethod
    def open(cls, limits, hide=(), grader_folders=(), deny=()):
        """A ready sandbox (identity locked and wiped, folders made, mechanisms probed), or IsolationUnavailable.
        deny: installed libraries (import names) the sandbox must not be able to read, e.g. ("tensorflow",)."""
        box = cls()
        box.limits = limits
        box._denied = _library_folders(deny)
        try:
            box._open(hide, grader_folders)
        except BaseException:
            box.close()
            raise
        return box

    def _open(self, hide, grader_folders):
        if unsafe_requested():
            self.root = Path(_private_temporary_folder())
            self._make_folders(owner=None)
            self.report = {"mode": "unsafe", "uid": os.getuid(), "network_blocked": False,
                           "banner": UNSAFE_BANNER}
            return
        if os.geteuid() != 0:
            raise IsolationUnavailable(
                "the grader is not running as root, so it cannot give the student's code an identity of its own. "
                "Run it as root (sudo make grade), or, only for your own trusted code, pass --unsafe-no-sandbox.")
        _make_state_dir()
        self._namespaces = _namespaces_available()
        unusable = set()
        while True:                 # a slot whose leftovers (of a grader that died holding it) will not die: skip it
            self.uid, self._lock_fd = _acquire_slot(skip=unusable)
            self.gid = self.uid
            try:
                self._wipe()
                break
            except RuntimeError:
                os.close(self._lock_fd)
                unusable.add(self.uid)
        self.root = Path(_mkdtemp_in(STATE_DIR))
        self._make_folders(owner=self.uid)
        _hide_from_others(grader_folders)

        _write("/proc/self/oom_score_adj", "-500", optional=True)    # the grader is the OOM killer's last choice
        self.cgroup = Cgroup.create(f"slot{self.uid - UID_BASE}", self.limits, self.memory_limit_mb(self.limits))
        python_paths = _runtime_paths()
        if self._namespaces:
            mode = "namespaces"
            self._hide = _outermost([STATE_DIR, *(p for p in (*HIDDEN_ALWAYS, *hide, *grader_folders)
                                                  if not _touches_system(p))])
            self._expose = [path for path in _outermost([*python_paths, self.root])
                            if any(folder in path.parents for folder in self._hide)]
        else:
            mode = "permissions"
        problem = _python_unusable_by(self, python_paths) or _still_readable(self)
        if problem:
            raise IsolationUnavailable(
                f"the sandbox identity (uid {self.uid}) cannot run {sys.executable} with NumPy ({problem}). "
                "Nothing of the student was run. Put the Python environment where any user can read it (for "
                "example create the venv with a Python under /usr or /opt), or run on a machine where the grader "
                "may create mount namespaces (root with CAP_SYS_ADMIN), which shows the runtime to the sandbox "
                "without opening your folders.")
        self.report = {
            "mode": mode, "uid": self.uid, "memory_limit_mb": self.memory_limit_mb(self.limits),
            "namespaces": [name for name, flag in NAMESPACES.items() if self._namespaces & flag],
            "network_blocked": False,       # set by verify_running() once the worker's namespace is seen
            "network_note": "" if self._namespaces else "network namespaces are refused here: the network is open",
            "private_temp": bool(self._namespaces),
            "cgroup": self.cgroup.version if self.cgroup else None,
            "grader_files_hidden": True,
            "libraries_denied": sorted({Path(folder).name for folder in self._denied}),
        }
        if self.cgroup is None:
            self.report["cgroup_note"] = "no writable cgroup: memory is limited by rlimits and a poll"

    def _make_folders(self, owner):
        """root (0711: traversable, not listable) / runtime (root, read-only) + scratch (the sandbox uid's)."""
        os.chmod(self.root, 0o711)
        self.runtime = self.root / "runtime"
        self.scratch = self.root / "scratch"
        self.runtime.mkdir(mode=0o755)
        os.chmod(self.runtime, 0o755)
        self.scratch.mkdir(mode=0o700)
        if owner is not None:
            os.chown(self.scratch, owner, owner, follow_symlinks=False)

    def add_runtime_file(self, source):
        """Copy a file or folder into the runtime folder (readable by the sandbox, writable only by root)."""
        target = self.runtime / Path(source).name
        if Path(source).is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            for folder, _, files in os.walk(target):
                os.chmod(folder, 0o755)
                for name in files:
                    os.chmod(os.path.join(folder, name), 0o644)
        else:
            shutil.copyfile(source, target)
            os.chmod(target, 0o644)
        return target

    def fill_scratch(self, student_dir):
        """Copy the student's staged files into scratch and hand them to the sandbox uid, files before folders,
        never following a link (nothing of that uid runs now: the identity was wiped when it was locked)."""
        shutil.copytree(student_dir, self.scratch, dirs_exist_ok=True, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        if self.uid is None:
            return
        for folder, folders, files in os.walk(self.scratch, topdown=False):
            for name in files + folders:
                os.chown(os.path.join(folder, name), self.uid, self.gid, follow_symlinks=False)
            os.chown(folder, self.uid, self.gid, follow_symlinks=False)

    # -- in the child, between fork and exec ---------------------------------------------------------------------
    def enter(self, set_limits):
        """preexec_fn: join the cgroup, enter new namespaces (the caller becomes a waiter outside, a reaper is the
        namespace's PID 1, and the worker continues below it), apply `set_limits()`, drop to the sandbox uid."""
        if self.uid is None:
            set_limits()
            return
        if self.cgroup is not None:
            self.cgroup.join()
        _write("/proc/self/oom_score_adj", "1000")        # the OOM killer takes the student, never the grader
        if self._namespaces:
            _check(_LIBC.unshare(self._namespaces), "unshare")
            if self._namespaces & CLONE_NEWPID:
                _wait_for_child_and_mirror_it()            # returns only in the namespace's PID 1
                _check(_LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
            self._build_view()
            if self._namespaces & CLONE_NEWPID:
                _wait_for_child_and_mirror_it(reaper=True)  # returns only in the worker
        set_limits()
        resource.setrlimit(resource.RLIMIT_NPROC, (self.limits.processes,) * 2)
        # Where permissions deny the libraries (restrict_libraries), a sandbox that may use them reads them as a
        # member of their group.
        os.setgroups([] if self._denied else [LIBRARY_GID])
        os.setgid(self.gid)
        os.setuid(self.uid)
        _check(_LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")

    def _build_view(self):
        os.umask(0o022)         # the folders made below must be traversable whatever the grader's umask
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        # Keep a handle on what is shown again before covering its parents; bind it back at its own path after.
        handles = [(path, os.open(path, os.O_PATH | os.O_DIRECTORY)) for path in self._expose]
        for folder in self._hide:
            if os.path.isdir(folder):
                _mount("tmpfs", str(folder), "tmpfs", MS_NOSUID | MS_NODEV, b"size=64k,mode=755")
        for path, handle in handles:
            os.makedirs(path, mode=0o755, exist_ok=True)       # inside a covering tmpfs, or already there
            _mount(f"/proc/self/fd/{handle}", str(path), None, MS_BIND | MS_REC)
            os.close(handle)
        for folder in self._denied:                            # libraries this sandbox must not read
            if os.path.isdir(folder):
                _mount("tmpfs", str(folder), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, b"size=4k,mode=755")
        for folder in self._hide:                              # the covers become read-only
            if os.path.isdir(folder):
                _mount(None, str(folder), None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        for folder in SHARED_TEMP:
            if os.path.isdir(folder):
                _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV,
                       f"size={PRIVATE_TMPFS_MB}m,mode=1777".encode())
        if self._namespaces & CLONE_NEWPID:
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)

    # -- while it runs -------------------------------------------------------------------------------------------
    def verify_running(self, pid):
        """Record what can be seen of the started worker: the network is blocked only if its namespace differs."""
        if self._namespaces & CLONE_NEWNET:
            theirs, ours = _namespace_of(pid, "net"), _namespace_of("self", "net")
            blocked = theirs is not None and ours is not None and theirs != ours
            self.report["network_blocked"] = blocked
            self.report["network_note"] = "" if blocked else "the worker's network namespace could not be verified"

    def memory_bytes(self, pid):
        """Memory the sandbox holds that cannot be reclaimed: the cgroup's usage (every process, tmpfs and shared
        memory included), else the anonymous and shared-memory pages of every process of its uid (not the mapped
        libraries, which the kernel can drop and re-read)."""
        if self.cgroup is not None:
            return self.cgroup.memory_bytes()
        if self.uid is not None:
            return sum(_unreclaimable_bytes(p) for p, owner, zombie in _uid_table() if owner == self.uid and not zombie)
        return sum(_unreclaimable_bytes(p) for p in _tree(pid))

    def memory_killed(self):
        """True once the kernel killed a process of this sandbox for memory since the last worker started."""
        return self.cgroup is not None and self.cgroup.oom_kills() > self._oom_kills_at_start

    def started(self, pid):
        """The worker `pid` was started: note the kill counters, and what can be verified of its view."""
        self._oom_kills_at_start = self.cgroup.oom_kills() if self.cgroup is not None else 0
        self.verify_running(pid)

    def _wipe(self):
        """Kill the uid's processes; without namespaces also delete its files in the shared temporary folders and
        its SysV IPC (with them, those were private to the sandbox and died with it). Raises if some survive."""
        if not _kill_uid(self.uid):
            raise RuntimeError(f"processes of uid {self.uid} survive SIGKILL")
        if not self._namespaces:
            _wipe_files_and_ipc(self.uid)

    # -- ending --------------------------------------------------------------------------------------------------
    def kill_all(self):
        """SIGKILL everything of this sandbox: the cgroup as a whole, then every process of the uid. Never raises."""
        try:
            if self.cgroup is not None:
                self.cgroup.kill()
            if self.uid is not None and not _kill_uid(self.uid):
                self.report.setdefault("cleanup_problems", []).append(f"processes of uid {self.uid} survive")
        except Exception as error:                  # noqa: BLE001 - clean-up reports, it never fails the grading
            self.report.setdefault("cleanup_problems", []).append(f"kill: {error!r}")

    def close(self):
        """Kill, wipe the identity's files and IPC, delete the folders, release the cgroup and the slot."""
        steps = [self.kill_all]
        if self.uid is not None:
            steps.append(self._wipe)
        if self.root is not None:
            steps.append(lambda: _remove_tree(self.root))
        if self.cgroup is not None:
            steps.append(self.cgroup.remove)
        for step in steps:
            try:
                step()
            except Exception as error:               # noqa: BLE001
                self.report.setdefault("cleanup_problems", []).append(repr(error))
        if self._lock_fd is not None:
            os.close(self._lock_fd)                  # releases the slot
            self._lock_fd = None


# ---------------------------------------------------------------------------------------------------------------
# cgroups
# ---------------------------------------------------------------------------------------------------------------

class Cgroup:
    """A cgroup of the sandbox: memory limit (incl. tmpfs/shm), pids limit, kill as a whole. v2 or v1."""

    def __init__(self, version, folders):
        self.version = version
        self.folders = folders            # v2: {"": path}; v1: {"memory": path, "pids": path, "freezer": path}

    @classmethod
    def create(cls, name, limits, memory_mb):
        """The cgroup (memory limited to memory_mb), or None when cgroups cannot be written here."""
        try:
            if Path("/sys/fs/cgroup/cgroup.controllers").exists():
                parent = Path("/sys/fs/cgroup") / _own_cgroup_v2().lstrip("/")
                group = cls._make("v2", {"": parent / "cnn-autograder" / name})
                _write(group.folders[""] / "memory.max", str(memory_mb * MB))
                _write(group.folders[""] / "memory.swap.max", "0", optional=True)
                _write(group.folders[""] / "pids.max", str(limits.processes))
                return group
            # Under the grader's own groups: a container's limit still holds over the sandbox's.
            roots = {c: Path("/sys/fs/cgroup") / c / _own_cgroup_v1(c).lstrip("/") for c in ("memory", "pids", "freezer")}
            if not all(root.is_dir() for root in roots.values()):
                return None
            group = cls._make("v1", {c: root / "cnn-autograder" / name for c, root in roots.items()})
            _write(group.folders["memory"] / "memory.limit_in_bytes", str(memory_mb * MB))
            _write(group.folders["memory"] / "memory.memsw.limit_in_bytes", str(memory_mb * MB), optional=True)
            _write(group.folders["pids"] / "pids.max", str(limits.processes))
            return group
        except OSError:
            return None

    @classmethod
    def _make(cls, version, folders):
        group = cls(version, folders)
        group.kill()                                   # a stale group of a grader that died
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        if version == "v2":
            parent = folders[""].parent
            _write(parent / "cgroup.subtree_control", "+memory +pids", optional=True)
        else:
            _write(folders["memory"] / "memory.max_usage_in_bytes", "0", optional=True)
        return group

    def join(self):
        for folder in self.folders.values():
            _write(folder / "cgroup.procs", str(os.getpid()))

    def pids(self):
        pids = set()
        for folder in self.folders.values():
            try:
                pids.update(int(line) for line in (folder / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return pids

    def kill(self):
        if self.version == "v2":
            if (self.folders[""] / "cgroup.kill").exists():
                _write(self.folders[""] / "cgroup.kill", "1", optional=True)
                return
            _signal_all(self.pids())
            return
        freezer = self.folders["freezer"]
        if not freezer.is_dir():
            return
        # Freeze (no member can fork any more), SIGKILL every member, thaw: each dies as it wakes. One round is
        # enough; the group must never be left frozen (a frozen process cannot die), so thawing is checked.
        state = freezer / "freezer.state"
        try:
            _write(state, "FROZEN", optional=True)
            for _ in range(50):
                if _read(state) != "FREEZING":
                    break
                time.sleep(0.01)
            _signal_all(self.pids())
        finally:
            for _ in range(100):
                _write(state, "THAWED", optional=True)
                if _read(state) in ("THAWED", ""):
                    break
                time.sleep(0.01)

    def memory_bytes(self):
        name = "memory.current" if self.version == "v2" else "memory.usage_in_bytes"
        folder = self.folders["" if self.version == "v2" else "memory"]
        try:
            return int((folder / name).read_text())
        except (OSError, ValueError):
            return 0

    def oom_kills(self):
        folder = self.folders["" if self.version == "v2" else "memory"]
        name = "memory.events" if self.version == "v2" else "memory.oom_control"
        try:
            for line in (folder / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def remove(self):
        self.kill()
        for folder in self.folders.values():
            for _ in range(100):                      # rmdir succeeds once the killed members have gone
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def _own_cgroup_v1(controller):
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return "/"


def container_memory_bytes():
    """The memory this grader and its sandboxes may use together: the tightest cgroup limit above us (v2
    memory.max, v1 memory.limit_in_bytes), else the machine's physical memory."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limits = [physical]
    if Path("/sys/fs/cgroup/cgroup.controllers").exists():
        base, name, path = Path("/sys/fs/cgroup"), "memory.max", _own_cgroup_v2()
    else:
        base, name, path = Path("/sys/fs/cgroup/memory"), "memory.limit_in_bytes", _own_cgroup_v1("memory")
    folder = base / path.lstrip("/")
    while True:
        try:
            text = (folder / name).read_text().strip()
            if text.isdigit():
                limits.append(int(text))
        except OSError:
            pass
        if folder == base or base not in folder.parents:
            break
        folder = folder.parent
    return min(limits)


def _own_cgroup_v2():
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return line[3:]
    return "/"


# ---------------------------------------------------------------------------------------------------------------
# identity
# ---------------------------------------------------------------------------------------------------------------

def _make_state_dir():
    try:
        STATE_DIR.mkdir(mode=0o711, parents=True)
    except FileExistsError:
        pass
    info = os.lstat(STATE_DIR)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise IsolationUnavailable(f"{STATE_DIR} is not a root-owned folder that only root may write; remove it")
    os.chmod(STATE_DIR, 0o711)
    (STATE_DIR / "slots").mkdir(mode=0o700, exist_ok=True)


def _acquire_slot(skip=()):
    """(uid, lock fd) of a free slot: a uid no user has and no live sandbox holds. Slots are taken in turn, so a
    uid comes back only after all the others were used (what happened under one uid stays told apart)."""
    start = _next_slot_start()
    for attempt in range(200):
        for slot in [(start + offset) % SLOTS for offset in range(SLOTS)]:
            uid = UID_BASE + slot
            if uid in skip:
                continue
            try:
                pwd.getpwuid(uid)
                continue                              # a real user has this uid
            except KeyError:
                pass
            fd = os.open(STATE_DIR / "slots" / str(slot), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return uid, fd
            except OSError:
                os.close(fd)
        time.sleep(0.05)
    raise IsolationUnavailable(f"all {SLOTS} sandbox identities are in use (too many graders at once)")


def _next_slot_start():
    fd = os.open(STATE_DIR / "slots" / "next", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            start = int(os.pread(fd, 16, 0) or b"0") % SLOTS
        except ValueError:
            start = 0
        os.ftruncate(fd, 0)
        os.pwrite(fd, str((start + 1) % SLOTS).encode(), 0)
        return start
    finally:
        os.close(fd)


def leftovers(uids=range(UID_BASE, UID_BASE + SLOTS)):
    """What sandbox identities still own: live processes, files in the shared temporary folders, SysV IPC objects
    (descriptions; empty when all is clean). Folders of the grader's own sandboxes (STATE_DIR) are not counted."""
    uids = set(uids)
    found = [f"process {pid} of uid {owner}" for pid, owner, zombie in _uid_table() if owner in uids and not zombie]
    for folder in SHARED_TEMP:
        for entry in _entries_owned_by(folder, uids):
            found.append(f"file {entry}")
    for kind in ("shm", "msg", "sem"):
        found.extend(f"SysV {kind} {identifier}" for uid in uids for identifier in _ipc_ids_of(kind, uid))
    return found


def _entries_owned_by(folder, uids):
    """Paths under folder (one file system, links not followed, iteratively) owned by one of uids."""
    found, stack = [], [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                for entry in entries:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if info.st_uid in uids:
                        found.append(entry.path)
                    elif stat.S_ISDIR(info.st_mode):
                        stack.append(entry.path)
        except OSError:
            continue
    return found


def _kill_uid(uid, seconds=5.0):
    """SIGKILL every process of uid; True once none is left. kill(-1) as that uid is atomic against fork (the
    kernel holds the task list), so a process that forks and exits in a loop cannot slip through; repeat until the
    table shows none (a dying process may take a moment to release its memory)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        if not any(owner == uid and not zombie for _, owner, zombie in _uid_table()):
            return True
        time.sleep(0.01)
    return False


def _wipe_files_and_ipc(uid):
    """Delete the uid's files in the shared temporary folders and its SysV IPC objects."""
    folders = [folder for folder in SHARED_TEMP if os.path.isdir(folder)]
    if folders:
        # find and rm walk iteratively and never follow links: a 1,500-deep tree or a symlink farm is harmless.
        subprocess.run(["find", *folders, "-xdev", "-mindepth", "1", "-user", str(uid), "-prune",
                        "-exec", "rm", "-rf", "--one-file-system", "--", "{}", "+"],
                       capture_output=True, timeout=120, check=False)
    for kind, flag in (("shm", "-m"), ("msg", "-q"), ("sem", "-s")):
        for identifier in _ipc_ids_of(kind, uid):
            subprocess.run(["ipcrm", flag, identifier], capture_output=True, timeout=10, check=False)


def _ipc_ids_of(kind, uid):
    """Identifiers of the SysV IPC objects of one kind (shm, msg, sem) owned or created by uid."""
    try:
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
    except OSError:
        return []
    columns = lines[0].split() if lines else []
    found = []
    for line in lines[1:]:
        row = dict(zip(columns, line.split()))
        if str(uid) in (row.get("uid"), row.get("cuid")):
            found.append(row["shmid" if kind == "shm" else "msqid" if kind == "msg" else "semid"])
    return found


def _uid_table():
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as file:
                    state = file.read().rsplit(")", 1)[1].split()[0]
                yield int(entry), os.stat(f"/proc/{entry}").st_uid, state == "Z"
            except (OSError, IndexError):
                continue


def _unreclaimable_bytes(pid):
    """Anonymous plus shared-memory resident bytes of a process (0 when it is gone)."""
    total = 0
    try:
        with open(f"/proc/{pid}/status") as file:
            for line in file:
                if line.startswith(("RssAnon:", "RssShmem:")):
                    total += int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return 0
    return total


def _tree(pid):
    """A process and all its descendants, found through the whole table (the children of any thread)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as file:
                    parents[int(entry)] = int(file.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, changed = {pid}, True
    while changed:
        grown = tree | {child for child, parent in parents.items() if parent in tree}
        changed, tree = grown != tree, grown
    return tree


def _signal_all(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------------------------
# view
# ---------------------------------------------------------------------------------------------------------------

_NAMESPACES_CHECKED = {}


def _namespaces_available():
    """The namespace flags a child may unshare here (all of them, or 0: the permissions mode)."""
    if "flags" not in _NAMESPACES_CHECKED:
        wanted = 0
        for flag in NAMESPACES.values():
            wanted |= flag
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                if _LIBC.unshare(wanted) == 0 and _LIBC.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) == 0 \
                        and _LIBC.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, b"size=64k") == 0:
                    code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        _NAMESPACES_CHECKED["flags"] = wanted if os.waitstatus_to_exitcode(status) == 0 else 0
    return _NAMESPACES_CHECKED["flags"]


def _runtime_paths():
    """The folders the worker's Python needs: its installation and the environment's (venv) folder."""
    return sorted({os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix),
                   *(os.path.realpath(p) for p in sys.path if p.endswith("site-packages"))})


def _outermost(paths):
    """Existing absolute paths with those inside another listed path dropped."""
    real = sorted({Path(os.path.realpath(p)) for p in paths if os.path.exists(p)}, key=lambda p: len(p.parts))
    kept = []
    for path in real:
        if not any(path == other or other in path.parents for other in kept):
            kept.append(path)
    return kept


def _touches_system(path):
    """True for a path that is, contains or lies inside a folder the runtime needs."""
    path = Path(os.path.realpath(path))
    return any(path == Path(s) or path in Path(s).parents or Path(s) in path.parents for s in SYSTEM)


def _wait_for_child_and_mirror_it(reaper=False):
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


def _mount(source, target, fstype, flags, data=None):
    encode = (lambda value: value.encode() if isinstance(value, str) else value)
    _check(_LIBC.mount(encode(source), encode(target), encode(fstype), flags, data), f"mount {target}")


def _check(result, what):
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def _namespace_of(pid, kind):
    try:
        return os.readlink(f"/proc/{pid}/ns/{kind}")
    except OSError:
        return None


def _library_folders(names):
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
    folders = _library_folders(names)
    for folder in folders:
        subprocess.run(["chgrp", "-R", str(gid), folder], check=True)
        subprocess.run(["chmod", "-R", "o-rwx", folder], check=True)
    return folders


def _still_readable(box):
    """Why the denied libraries are not denied (a library folder the sandbox uid can still list), or None."""
    if not box._denied or box._namespaces:
        return None                      # namespaces cover them in the view: nothing to check on disk
    for folder in box._denied:
        mode = os.stat(folder).st_mode
        if mode & 0o005:
            return (f"{folder} is readable by any user, so the NumPy-only sandbox could import it; run as root, "
                    "once: python -c 'from autograder.sandbox.isolation import restrict_libraries; "
                    "from autograder.stand_ins import DENIED_LIBRARIES; restrict_libraries(DENIED_LIBRARIES)' "
                    "(setup.sh does this on Gradescope)")
    return None


# ---------------------------------------------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------------------------------------------

def _private_temporary_folder():
    import tempfile
    return tempfile.mkdtemp(prefix="cnn-sandbox-")


def _mkdtemp_in(parent):
    while True:
        path = Path(parent) / f"box-{secrets.token_hex(8)}"
        try:
            path.mkdir(mode=0o700)
            return path
        except FileExistsError:
            continue


def _hide_from_others(folders):
    """Remove the permissions of "others" (the sandbox uid) from each existing folder; their contents are then
    unreachable whatever their own modes are."""
    for folder in folders:
        try:
            mode = os.stat(folder).st_mode
            if mode & 0o007:
                os.chmod(folder, mode & ~0o007)
        except FileNotFoundError:
            pass


def _remove_tree(path):
    """Delete a folder iteratively (rm walks without recursion limits and never follows links)."""
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], capture_output=True, timeout=300,
                       check=False)
        if os.path.lexists(path):
            raise OSError(errno.ENOTEMPTY, f"could not delete {path}")


def _read(path):
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def _write(path, text, optional=False):
    try:
        with open(path, "w") as file:
            file.write(text)
    except OSError:
        if not optional:
            raise


_PYTHON_CHECKED = {}


def _python_unusable_by(box, python_paths):
    """None if the sandbox uid, inside the sandbox's view, can run our Python with NumPy, read the runtime and
    write scratch; else why not. Checked once per grader process and mode (the same for every slot)."""
    key = (bool(box._namespaces), box._denied, tuple(python_paths))
    if key in _PYTHON_CHECKED:
        return _PYTHON_CHECKED[key]
    probe_file = box.add_runtime_file(__file__)
    probe = ("import sys, os, numpy; open(sys.argv[1]).close(); "
             "open(os.path.join(sys.argv[2], '.probe'), 'w').close(); os.remove(os.path.join(sys.argv[2], '.probe'))")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}

    class NoLimits:
        processes = 64
    limits, box.limits = box.limits, NoLimits()
    try:
        result = subprocess.run([sys.executable, "-s", "-c", probe, str(probe_file), str(box.scratch)],
                                start_new_session=True, cwd="/", preexec_fn=lambda: box.enter(lambda: None),
                                capture_output=True, timeout=60, env=env)
        problem = None if result.returncode == 0 else \
            (result.stderr.decode(errors="replace").strip()[-300:] or f"exit status {result.returncode}")
    except (OSError, subprocess.SubprocessError) as error:
        problem = str(error)
    finally:
        box.limits = limits
        probe_file.unlink()
        box.kill_all()
    _PYTHON_CHECKED[key] = problem
    return problem
