"""Whom the student's code runs as: a uid of its own from a pool, locked for the sandbox's life, and wiped.

A uid is safe to wipe wholesale (every process killed with kill(-1) as that uid, its files in the shared temporary
folders and its SysV IPC deleted) exactly because no two live sandboxes ever share one. The pool's uids need no
passwd entry. `leftovers()` says what sandbox identities still own, for tests and `make verdicts`.
"""
import errno
import fcntl
import json
import os
import pwd
import resource
import secrets
import signal
import stat
import subprocess
import time
from pathlib import Path

UID_BASE = 64000                 # sandbox uids: UID_BASE .. UID_BASE + SLOTS - 1 (skipped if a user has one)
SLOTS = 64
STATE_DIR = Path("/run/cnn-autograder")        # root-only: slot locks and the sandboxes' folders
SHARED_TEMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")     # the folders anyone may write
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class IsolationUnavailable(RuntimeError):
    """The sandbox cannot be established here; no student code may run. The message says why and what to do."""


def make_state_dir():
    try:
        STATE_DIR.mkdir(mode=0o711, parents=True)
    except FileExistsError:
        pass
    info = os.lstat(STATE_DIR)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise IsolationUnavailable(f"{STATE_DIR} is not a root-owned folder that only root may write; remove it")
    os.chmod(STATE_DIR, 0o711)
    (STATE_DIR / "slots").mkdir(mode=0o700, exist_ok=True)


def acquire_slot(skip=()):
    """(uid, lock fd) of a free slot: a uid no user has and no live sandbox holds. Slots are taken in turn, so a
    uid comes back only after all the others were used (what happened under one uid stays told apart)."""
    start = next_slot_start()
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


def next_slot_start():
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
    found = [f"process {pid} of uid {owner}" for pid, owner, zombie in uid_table() if owner in uids and not zombie]
    for folder in SHARED_TEMP:
        for entry in entries_owned_by(folder, uids):
            found.append(f"file {entry}")
    for kind in ("shm", "msg", "sem"):
        found.extend(f"SysV {kind} {identifier}" for uid in uids for identifier in ipc_ids_of(kind, uid))
    return found


def entries_owned_by(folder, uids):
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


def kill_uid(uid, seconds=5.0):
    """SIGKILL every process of uid; True once none is left. kill(-1) as that uid is atomic against fork (the
    kernel holds the task list), so a process that forks and exits in a loop cannot slip through; repeat until the
    table shows none (a dying process may take a moment to release its memory)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        signal_uid(uid, signal.SIGKILL)
        if not any(owner == uid and not zombie for _, owner, zombie in uid_table()):
            return True
        time.sleep(0.01)
    return False


def signal_uid(uid, signum):
    """Send signum to every process of uid at once: kill(-1) from a child that became uid (a process that forks
    meanwhile cannot slip through; SIGSTOP cannot be caught or ignored)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signum)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def wipe_files_and_ipc(uid):
    """Delete the uid's files in the shared temporary folders and its SysV IPC objects."""
    folders = [folder for folder in SHARED_TEMP if os.path.isdir(folder)]
    if folders:
        # find and rm walk iteratively and never follow links: a 1,500-deep tree or a symlink farm is harmless.
        subprocess.run(["find", *folders, "-xdev", "-mindepth", "1", "-user", str(uid), "-prune",
                        "-exec", "rm", "-rf", "--one-file-system", "--", "{}", "+"],
                       capture_output=True, timeout=120, check=False)
    for kind, flag in (("shm", "-m"), ("msg", "-q"), ("sem", "-s")):
        for identifier in ipc_ids_of(kind, uid):
            subprocess.run(["ipcrm", flag, identifier], capture_output=True, timeout=10, check=False)


def ipc_ids_of(kind, uid):
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


def uid_table():
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as file:
                    state = file.read().rsplit(")", 1)[1].split()[0]
                yield int(entry), os.stat(f"/proc/{entry}").st_uid, state == "Z"
            except (OSError, IndexError):
                continue


def unreclaimable_bytes(pid):
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


def process_cpu_seconds(pid):
    """CPU seconds of a live process and of its children it has waited for (utime + stime + cutime + cstime);
    0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
        return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS
    except (OSError, ValueError, IndexError):
        return 0.0


_KILLED_CPU_SECONDS = [0.0]       # of processes killed without being waited for by this process (retire)


def tree_cpu_seconds():
    """CPU seconds this process and everything it started have used so far, counted from the grader's side:
    itself and its reaped children (getrusage), every live descendant (a sandboxed worker and what it started,
    from /proc), and what retire() kept of killed sandboxes. A live process's reaped children are in its own
    count, so nothing is counted twice."""
    own = sum(usage.ru_utime + usage.ru_stime for usage in (resource.getrusage(resource.RUSAGE_SELF),
                                                              resource.getrusage(resource.RUSAGE_CHILDREN)))
    me = os.getpid()
    return own + _KILLED_CPU_SECONDS[0] + sum(process_cpu_seconds(pid) for pid in tree(me) if pid != me)


def retire(child):
    """Just before a sandbox started as `child` (which this process will wait for) is killed: keep the CPU of its
    descendants, which die unwaited-for (a PID namespace's processes, the student's) and would vanish from
    getrusage."""
    _KILLED_CPU_SECONDS[0] += sum(process_cpu_seconds(pid) for pid in tree(child) if pid != child)


def tree(pid):
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


def make_box(uid):
    """A fresh folder for the sandbox of `uid` under STATE_DIR, named after its slot; the folders a grader killed
    while holding that slot left behind (its lock is ours now, so nothing uses them) are deleted first."""
    prefix = f"box-{uid - UID_BASE:02d}-"
    for stale in STATE_DIR.glob(prefix + "*"):
        remove_tree(stale)
    while True:
        path = STATE_DIR / f"{prefix}{secrets.token_hex(8)}"
        try:
            path.mkdir(mode=0o700)
            return path
        except FileExistsError:
            continue


HIDDEN_MODES = "hidden-modes.json"    # in STATE_DIR: the modes hide_from_others changed, to be given back
MODES_LOCK = "hidden-modes.lock"      # in STATE_DIR: held (briefly, exclusively) while modes or their record change
USERS_LOCK = "hidden-users.lock"      # in STATE_DIR: held shared by every open sandbox that relies on them


def _lock(name, operation):
    fd = os.open(STATE_DIR / name, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, operation)
    except BaseException:
        os.close(fd)
        raise
    return fd


def hide_from_others(folders):
    """Permissions mode only (namespaces hide the checkout without touching it): remove the permissions of
    "others" (the sandbox uids) from each existing folder, so that their contents are unreachable whatever their own
    modes are. The modes changed are recorded (the first, original ones kept). Returns a descriptor holding a
    shared lock: the caller keeps it open while its sandbox lives, and restore_others() gives the modes back once
    no sandbox holds one."""
    changing = _lock(MODES_LOCK, fcntl.LOCK_EX)
    try:
        using = _lock(USERS_LOCK, fcntl.LOCK_SH)
        try:
            recorded = _hidden_modes()
            for folder in folders:
                try:
                    mode = stat.S_IMODE(os.stat(folder).st_mode)
                except FileNotFoundError:
                    continue
                if mode & 0o007:
                    recorded.setdefault(str(folder), mode)
                    os.chmod(folder, mode & ~0o007)
            _write_hidden_modes(recorded)
        except BaseException:
            os.close(using)
            raise
    finally:
        os.close(changing)
    return using


def restore_others():
    """Give the folders hide_from_others closed their recorded modes back, if no open sandbox relies on them (none
    holds the shared lock; else nothing is done: the last one to close restores). A folder whose mode someone
    changed meanwhile is left as it is. Returns the folders restored."""
    changing = _lock(MODES_LOCK, fcntl.LOCK_EX)
    try:
        try:
            alone = _lock(USERS_LOCK, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return []
        try:
            restored = []
            for folder, mode in _hidden_modes().items():
                try:
                    current = stat.S_IMODE(os.stat(folder).st_mode)
                except FileNotFoundError:
                    continue
                if current == mode & ~0o007:             # as we left it: an instructor's own change is kept
                    os.chmod(folder, mode)
                    restored.append(folder)
            _write_hidden_modes({})
            return restored
        finally:
            os.close(alone)
    finally:
        os.close(changing)


def _hidden_modes():
    try:
        return {folder: int(mode) for folder, mode in json.loads((STATE_DIR / HIDDEN_MODES).read_text()).items()}
    except (FileNotFoundError, ValueError, AttributeError):
        return {}


def _write_hidden_modes(recorded):
    path = STATE_DIR / HIDDEN_MODES
    if not recorded:
        path.unlink(missing_ok=True)
        return
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(recorded))
    os.replace(temporary, path)


def remove_tree(path):
    """Delete a folder iteratively (rm walks without recursion limits and never follows links)."""
    if os.path.lexists(path):
        subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], capture_output=True, timeout=300,
                       check=False)
        if os.path.lexists(path):
            raise OSError(errno.ENOTEMPTY, f"could not delete {path}")
