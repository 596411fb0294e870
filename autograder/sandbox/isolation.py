"""One sandbox per worker: its own identity, view, accounting and kill switch. Fails closed.

    box = Sandbox.open(limits, hide=[class_folder, ...])   # IsolationUnavailable: why, and how to fix it
    box.fill_scratch(student_dir); box.runtime / "worker.py"; box.scratch
    Popen(..., preexec_fn=box.enter)                         # in the child: cgroup, namespaces, limits, identity
    box.kill_all(); box.close()                              # nothing of the identity survives; never raises

Identity: a uid of its own drawn from a range of our own (sandbox.uid_base, uid_count; identity.py says why that
range), checked before use (no user or group, no subordinate range, no process of it) and held with a lock file for
the worker's whole life, so no two live sandboxes of a machine share one. Clean-up touches only what the sandbox
made: its cgroup, its folders, and what of the uid appeared in the shared temporary folders and SysV IPC while it
held it.

View (when the kernel allows it, as root on an ordinary machine): new PID, mount, IPC, UTS and network namespaces
around an allow-list (view.py): a new root holding only the Python runtime, the libraries the worker may import and
what they require, the system's shared libraries, the sandbox's own folders and private temporary folders; /proc
shows the sandbox's own processes only. Where namespaces are refused (Gradescope's Docker without CAP_SYS_ADMIN),
file permissions do that job: setup.sh makes the allow-list on the image, the grader's folders lose their "others"
bits, and the uid must be able to run Python or nothing runs.

Seccomp (seccomp.py), in every mode: no sockets, namespaces, ptrace, mounts, bpf, io_uring and the like; installed
last before exec and verified from inside, or nothing is exec'd.

Accounting: a cgroup per sandbox (v2, or v1 memory + pids) holds every process the student starts, from
any thread; its memory limit counts tmpfs and shared memory, and it is killed as a whole. Without writable cgroups,
rlimits, an RSS poll and the uid-wide kill remain, and the report says so.

`report` states only what was verified: mode, uid, namespaces, the filter, whether the network is blocked, cgroup,
memory limit.
"""
import contextlib
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from autograder.sandbox import cgroups, identity, seccomp, view
from autograder.sandbox.identity import IsolationUnavailable, leftovers  # noqa: F401 (the package's public names)
from autograder.sandbox.view import LIBRARY_GID, restrict_libraries  # noqa: F401 (setup.sh runs these)

MB = 1024 * 1024
# The grader's share of a container: ~70 MB it cannot give back at its peak, and 100+ MB of headroom in Gradescope's
# 768 MB (memory_hog's container peaked at 680 MB of anonymous and shared memory with 160).
GRADER_RESERVE_MB = 200
UNSAFE_VARIABLE = "AUTOGRADER_UNSAFE_NO_SANDBOX"   # set by `grade --unsafe-no-sandbox` for a trusted single user
UNSAFE_BANNER = ("UNSAFE: graded without a sandbox (--unsafe-no-sandbox): the student's code ran as the grader's "
                 "own user and could read and change anything the grader can.")


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
        self._hidden_fd = None          # permissions mode: the shared lock on the grader folders' changed modes
        self._namespaces = 0
        self._view = None               # what the worker sees (namespaces mode): view.View
        self._libraries = ()
        self.python_path = ()           # the worker's PYTHONPATH after any stand-ins: the allowed libraries' folders
        self.limits = None
        self._oom_kills_at_start = 0
        self._tenure = None             # what of the uid existed when it was taken (identity.Tenure)
        self._denied = ()               # library folders covered (namespaces) or unreadable (permissions)

    # -- opening -------------------------------------------------------------------------------------------------
    @classmethod
    def memory_limit_mb(cls, limits):
        """The sandbox's memory limit: the configured one, or less where the container leaves less after the
        grader's own share (GRADER_RESERVE_MB)."""
        container, _ = cgroups.container_memory(limits.unseen_container_mb)
        return int(min(limits.memory_mb, container // MB - GRADER_RESERVE_MB))

    @classmethod
    def open(cls, limits, hide=(), grader_folders=(), deny=(), libraries=("numpy",)):
        """A ready sandbox (identity locked and wiped, folders made, mechanisms probed), or IsolationUnavailable.
        libraries: the installed libraries (import names) the worker may import; with namespaces, they and what
        they require are all the view shows of the installed packages (view.allowed). deny: libraries it must not
        be able to read where permissions do the job (no namespaces), e.g. ("tensorflow",). hide: folders the
        student must not see; the allow-list view shows nothing it does not list, so they need no handling of their
        own (kept so that callers say what they hide); without namespaces, grader_folders lose others' bits."""
        box = cls()
        box.limits = limits
        box._denied = view.library_folders(deny)
        box._libraries = tuple(libraries)
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
        if not seccomp.supported():
            raise IsolationUnavailable(
                f"the sandbox's seccomp filter is written for x86-64 Linux, and this machine is {platform.machine()}: "
                "no student code can run here.")
        if "problem" not in _FILTER_CHECKED:
            _FILTER_CHECKED["problem"] = seccomp.problem()
        problem = _FILTER_CHECKED["problem"]
        if problem:
            raise IsolationUnavailable(f"the sandbox's seccomp filter cannot be installed here ({problem}): no student "
                                       "code can run without it.")
        identity.make_state_dir()
        self._namespaces = view.namespaces_available()
        cgroups.write("/proc/self/oom_score_adj", "-500", optional=True)   # the grader: the OOM killer's last choice
        self._reclaim_stale()
        unusable = set()
        while True:
            self.uid, self._lock_fd = identity.acquire_slot(self.limits.uid_base, self.limits.uid_count, unusable)
            self.gid = self.uid
            # A process of the uid is not ours to touch (another container's grader, a directory user's, a
            # service's; a grader of this machine killed mid-way had its leftovers reclaimed above): the uid is left
            # alone, and checked before its group is made, since making it kills what the group holds.
            if not identity.processes_of(self.uid):
                self.cgroup = cgroups.Cgroup.create(f"slot{self.uid}", self.limits,
                                                    self.memory_limit_mb(self.limits))
                break
            os.close(self._lock_fd)
            unusable.add(self.uid)
            self.uid = self.gid = self._lock_fd = None      # not ours: nothing may kill or clean for it
        self._tenure = identity.Tenure(self.uid)
        self._skipped_uids = len(unusable)      # uids with a process of someone else on them
        self.root = identity.make_box(self.uid)
        self._make_folders(owner=self.uid)

        if self._namespaces:
            mode = "namespaces"
            try:
                self._view = view.allowed(self._libraries, self.runtime, self.scratch)
            except LookupError as error:
                raise IsolationUnavailable(f"the sandbox's view cannot be built: {error}") from None
            self.python_path = self._view.python_path
        else:
            mode = "permissions"
            # Only here do the instructor's folders change: their "others" bits go while a sandbox relies on it, and
            # come back when the last one closes (close, restore_others).
            self._hidden_fd = identity.hide_from_others(grader_folders)
        problem = _python_unusable_by(self) or _still_readable(self)
        if problem:
            raise IsolationUnavailable(
                f"the sandbox identity (uid {self.uid}) cannot run {sys.executable} with NumPy ({problem}). "
                "Nothing of the student was run. Put the Python environment where any user can read it (for "
                "example create the venv with a Python under /usr or /opt), or run on a machine where the grader "
                "may create mount namespaces (root with CAP_SYS_ADMIN), which shows the runtime to the sandbox "
                "without opening your folders.")
        self.report = {
            "mode": mode, "uid": self.uid, "uids_skipped": self._skipped_uids,
            "memory_limit_mb": self.memory_limit_mb(self.limits),
            "namespaces": [name for name, flag in view.NAMESPACES.items() if self._namespaces & flag],
            "network_blocked": False,       # set by verify_running() once the worker's namespace is seen
            "network_note": "",
            "seccomp": False,               # set by verify_running() once the worker's filter is seen
            "private_temp": bool(self._namespaces),
            "cgroup": self.cgroup.version if self.cgroup else None,
            "grader_files_hidden": True,
            "grader_files_hidden_by": "a mount namespace (no permission changed)" if self._namespaces else
                                      "permissions: the others' bits of the grader's folders, restored afterwards",
            "libraries_denied": sorted({Path(folder).name for folder in self._denied}),
            "libraries_shown": list(self._libraries) if self._namespaces else None,
        }
        if self.cgroup is None:
            self.report["cgroup_note"] = "no writable cgroup: memory is limited by rlimits and a poll"
        container, source = cgroups.container_memory(self.limits.unseen_container_mb)
        self.report["container_memory_mb"] = container // MB
        if source == "assumed":
            self.report["container_memory_note"] = (
                f"no memory limit of the container is visible here; assumed {container // MB} MB "
                "(sandbox.unseen_container_mb)")

    def _make_folders(self, owner):
        """root (0711: traversable, not listable) / runtime (root, read-only) + scratch (the sandbox uid's)."""
        os.chmod(self.root, 0o711)
        self.runtime = self.root / "runtime"
        self.scratch = self.root / "scratch"
        (self.root / "view").mkdir(mode=0o700)      # the new root the child builds its view on (namespaces)
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
        # If the grader dies (SIGKILL at a time limit), this child dies with it, and so everything below it.
        view.check(view.LIBC.prctl(view.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
        cgroups.write("/proc/self/oom_score_adj", "1000")        # the OOM killer takes the student, never the grader
        if self._namespaces:
            view.check(view.LIBC.unshare(self._namespaces), "unshare")
            if self._namespaces & view.CLONE_NEWPID:
                view.wait_for_child_and_mirror_it()            # returns only in the namespace's PID 1
                view.check(view.LIBC.prctl(view.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
            view.build(self._namespaces, self._view, self.root / "view")
            if self._namespaces & view.CLONE_NEWPID:
                view.wait_for_child_and_mirror_it(reaper=True)  # returns only in the worker
        set_limits()
        resource.setrlimit(resource.RLIMIT_NPROC, (self.limits.processes,) * 2)
        # Where permissions deny the libraries (restrict_libraries), a sandbox that may use them reads them as a
        # member of their group.
        os.setgroups([] if self._denied else [view.LIBRARY_GID])
        os.setgid(self.gid)
        os.setuid(self.uid)
        view.check(view.LIBC.prctl(view.PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
        seccomp.install()           # last: raises (and so nothing is exec'd) unless verified from inside

    # -- while it runs -------------------------------------------------------------------------------------------
    def verify_running(self, pid):
        """Record what can be seen of the started worker. The network is blocked when its process runs under the
        seccomp filter (which refused an AF_INET socket from inside before the worker was exec'd, or nothing would
        run) or in a network namespace of its own."""
        if self.uid is None:
            return
        filtered = any(seccomp.filtered(p) for p in identity.tree(pid))
        namespaced = False
        if self._namespaces & view.CLONE_NEWNET:
            theirs, ours = view.namespace_of(pid, "net"), view.namespace_of("self", "net")
            namespaced = theirs is not None and ours is not None and theirs != ours
        self.report["seccomp"] = filtered
        self.report["network_blocked"] = filtered or namespaced
        self.report["network_note"] = "" if filtered or namespaced else "the worker's filter could not be verified"

    def memory_bytes(self, pid):
        """Memory the sandbox holds that cannot be reclaimed: the cgroup's usage (every process, tmpfs and shared
        memory included), else the anonymous and shared-memory pages of every process of its uid (not the mapped
        libraries, which the kernel can drop and re-read)."""
        if self.cgroup is not None:
            return self.cgroup.memory_bytes()
        if self.uid is not None:
            return sum(identity.unreclaimable_bytes(pid) for pid, owner, zombie in identity.uid_table()
                       if owner == self.uid and not zombie)
        return sum(identity.unreclaimable_bytes(p) for p in identity.tree(pid))

    @contextlib.contextmanager
    def paused(self):
        """Every process of the sandbox stopped (SIGSTOP to its uid) for the block, continued after: nothing of the
        student's runs while the reference is timed. Without a uid of its own (unsafe mode) nothing is stopped."""
        if self.uid is None:
            yield
            return
        identity.signal_uid(self.uid, signal.SIGSTOP)
        try:
            yield
        finally:
            identity.signal_uid(self.uid, signal.SIGCONT)

    def memory_killed(self):
        """True once the kernel killed a process of this sandbox for memory since the last worker started."""
        return self.cgroup is not None and self.cgroup.oom_kills() > self._oom_kills_at_start

    def started(self, pid):
        """The worker `pid` was started: note the kill counters, and what can be verified of its view."""
        self._oom_kills_at_start = self.cgroup.oom_kills() if self.cgroup is not None else 0
        self.verify_running(pid)

    def _reclaim_stale(self):
        """The folders and cgroups of sandboxes whose grader was killed (their uid's lock is free): the group killed
        (and thawed) and removed, the folder deleted. Only the grader's own folder and groups are looked at."""
        for uid, folder, fd in identity.stale_boxes():
            try:
                group = cgroups.Cgroup.create(f"slot{uid}", self.limits, self.memory_limit_mb(self.limits))
                if group is not None:
                    group.remove()
                identity.remove_tree(folder)
            except OSError:
                pass                             # tried again by the next sandbox
            finally:
                os.close(fd)

    def _wipe(self):
        """Delete what the sandbox left outside its folders: without namespaces, the uid's new entries in the shared
        temporary folders and its new SysV IPC (with them, those were private to the sandbox and died with it)."""
        if not self._namespaces and self._tenure is not None:
            self._tenure.clean()

    # -- ending --------------------------------------------------------------------------------------------------
    def kill_all(self):
        """SIGKILL everything of this sandbox: its cgroup as a whole; where there is none, every process of the uid
        (kill(-1) as the uid, the only way to catch a daemonised process; the uid had no process when taken, so
        they are the sandbox's). Never raises."""
        try:
            if self.cgroup is not None:
                self.cgroup.kill()
            elif self.uid is not None and not identity.kill_uid(self.uid):
                self.report.setdefault("cleanup_problems", []).append(f"processes of uid {self.uid} survive")
        except Exception as error:                  # noqa: BLE001 - clean-up reports, it never fails the grading
            self.report.setdefault("cleanup_problems", []).append(f"kill: {error!r}")

    def close(self):
        """Kill, wipe the identity's files and IPC, delete the folders, release the cgroup and the slot."""
        steps = [self.kill_all]
        if self.uid is not None:
            steps.append(self._wipe)
        if self.root is not None:
            steps.append(lambda: identity.remove_tree(self.root))
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
        if self._hidden_fd is not None:
            os.close(self._hidden_fd)
            self._hidden_fd = None
            try:
                identity.restore_others()            # the last sandbox relying on the hidden folders restores them
            except OSError as error:
                self.report.setdefault("cleanup_problems", []).append(f"restoring permissions: {error!r}")


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


def _private_temporary_folder():
    import tempfile
    return tempfile.mkdtemp(prefix="cnn-sandbox-")


_PYTHON_CHECKED = {}
_FILTER_CHECKED = {}            # seccomp.problem(), once per grader process


def _python_unusable_by(box):
    """None if the sandbox uid, inside the sandbox's view, can run our Python with NumPy, read the runtime and
    write scratch; else why not. Checked once per grader process, mode and view (the same for every slot)."""
    key = (bool(box._namespaces), box._denied, box._libraries, sys.executable)
    if key in _PYTHON_CHECKED:
        return _PYTHON_CHECKED[key]
    probe_file = box.add_runtime_file(__file__)
    probe = ("import sys, os, numpy; open(sys.argv[1]).close(); "
             "open(os.path.join(sys.argv[2], '.probe'), 'w').close(); os.remove(os.path.join(sys.argv[2], '.probe'))")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if box.python_path:
        env["PYTHONPATH"] = os.pathsep.join(box.python_path)
    try:
        result = subprocess.run([sys.executable, "-s", "-c", probe, str(probe_file), str(box.scratch)],
                                start_new_session=True, cwd="/", preexec_fn=lambda: box.enter(lambda: None),
                                capture_output=True, timeout=60, env=env)
        problem = None if result.returncode == 0 else \
            (result.stderr.decode(errors="replace").strip()[-300:] or f"exit status {result.returncode}")
    except (OSError, subprocess.SubprocessError) as error:
        problem = str(error)
    finally:
        probe_file.unlink()
        box.kill_all()
    _PYTHON_CHECKED[key] = problem
    return problem
