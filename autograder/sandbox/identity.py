"""Whom the student's code runs as: a uid of its own, from a range of our own, locked for the sandbox's life.

The range (config: sandbox.uid_base, sandbox.uid_count; by default 2013265920-2013331455, 0x78000000 + 64 Ki) lies
outside what common allocators hand out: systemd's system, regular, homed and DynamicUser uids (below 65536), its
container ranges (524288-1879048191) and "foreign" range (from 2147352576), SSSD's and FreeIPA's identity mapping
(200000-2000200000 by default), useradd's subordinate ranges (from 100000; /etc/subuid and /etc/subgid are read and
their ranges skipped whatever they are), and below 2^31 (tools that treat uids as signed). Each uid is checked
before use (`acquire_slot`): no user or group of it (getpwuid/getgrgid: local files and directories such as LDAP),
inside this user namespace's uid_map, not locked by another sandbox of this machine, and no process of it running
(the caller checks once it holds the lock: a uid with a process of someone else is skipped, never killed). Uids are
drawn at random from the range, so two graders that share a kernel but not a state folder (two containers) draw the
same uid about once in 65536 starts, and the second skips it if the first one's worker runs.

Clean-up touches only what the grader made: processes through the sandbox's cgroup (kill(-1) as the uid only where
there is no writable cgroup, and only on a uid that had no process when taken), the entries of the shared temporary
folders and the SysV IPC objects of the uid that appeared while the sandbox held it (`Tenure`), the sandbox's own
folders under STATE_DIR. `leftovers()` says what the uids this machine's graders used still own, for tests and
`make verdicts`.
"""
import errno
import fcntl
import grp
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


def acquire_slot(base, count, skip=()):
    """(uid, lock fd) of a uid drawn at random from base .. base + count - 1 that no user or group has, no
    subordinate range of /etc/subuid or /etc/subgid holds, this user namespace maps, and no live sandbox of this
    machine holds (its lock file, lock_file(uid), is ours until the fd is closed). The caller then checks
    that no process runs as it."""
    excluded = subordinate_ranges()
    mapped = mapped_ranges()
    for attempt in range(400):
        uid = base + secrets.randbelow(count)
        if uid in skip or any(low <= uid < high for low, high in excluded) or \
                not any(low <= uid < high for low, high in mapped) or has_name(uid):
            if attempt % 64 == 63:
                time.sleep(0.05)
            continue
        fd = os.open(lock_file(uid), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return uid, fd
        except OSError:
            os.close(fd)
    raise IsolationUnavailable(
        f"no usable sandbox uid in {base}-{base + count - 1} (sandbox.uid_base, sandbox.uid_count): each one drawn "
        "was in use, had a user or group, lay in a subordinate range of /etc/subuid or /etc/subgid, or was not "
        "mapped in this user namespace. Choose a free range of your own in the course's config.")


def lock_file(uid):
    return STATE_DIR / "slots" / f"uid-{uid}"


def has_name(uid):
    """True when a user or a group has this number (local files or a directory such as LDAP, through NSS)."""
    for lookup in (pwd.getpwuid, grp.getgrgid):
        try:
            lookup(uid)
            return True
        except KeyError:
            pass
    return False


def subordinate_ranges(files=("/etc/subuid", "/etc/subgid")):
    """[(low, high)): the subordinate uid and gid ranges handed out on this machine (user:start:count lines)."""
    ranges = []
    for path in files:
        try:
            lines = Path(path).read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            fields = line.strip().split(":")
            if len(fields) == 3 and fields[1].isdigit() and fields[2].isdigit():
                ranges.append((int(fields[1]), int(fields[1]) + int(fields[2])))
    return ranges


def mapped_ranges(path="/proc/self/uid_map"):
    """[(low, high)): the uids this user namespace can use (all of them where there is no map to read)."""
    try:
        rows = [line.split() for line in Path(path).read_text().splitlines()]
        return [(int(row[0]), int(row[0]) + int(row[2])) for row in rows if len(row) == 3]
    except (OSError, ValueError):
        return [(0, 1 << 32)]


def processes_of(uid):
    """The live processes running as uid."""
    return [pid for pid, owner, zombie in uid_table() if owner == uid and not zombie]


def used_uids():
    """The uids this machine's graders have used (their lock files in STATE_DIR/slots)."""
    try:
        return {int(name[4:]) for name in os.listdir(STATE_DIR / "slots") if name.startswith("uid-")
                and name[4:].isdigit()}
    except OSError:
        return set()


def leftovers(uids=None):
    """What sandbox identities (by default every uid this machine's graders used) still own: live processes,
    entries at the top of the shared temporary folders, SysV IPC objects (descriptions; empty when all is clean).
    Folders of the grader's own sandboxes (STATE_DIR) are not counted."""
    uids = set(used_uids() if uids is None else uids)
    found = [f"process {pid} of uid {owner}" for pid, owner, zombie in uid_table() if owner in uids and not zombie]
    for folder in SHARED_TEMP:
        for entry in entries_owned_by(folder, uids):
            found.append(f"file {entry}")
    for kind in ("shm", "msg", "sem"):
        found.extend(f"SysV {kind} {identifier}" for uid in uids for identifier in ipc_ids_of(kind, uid))
    return found


def entries_owned_by(folder, uids):
    """Paths directly in folder (links not followed) owned by one of uids: what a sandbox made there. Never a
    search below the top: a shared folder's deeper entries belong to whoever made their parents."""
    found = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                try:
                    if entry.stat(follow_symlinks=False).st_uid in uids:
                        found.append(entry.path)
                except OSError:
                    continue
    except OSError:
        pass
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


class Tenure:
    """What of a uid already existed when a sandbox took it (entries at the top of the shared temporary folders,
    SysV IPC objects), so that clean-up deletes only what appeared while the sandbox held it."""

    def __init__(self, uid):
        self.uid = uid
        self.files = set(self._files())
        self.ipc = set(self._ipc())

    def _files(self):
        return [entry for folder in SHARED_TEMP for entry in entries_owned_by(folder, {self.uid})]

    def _ipc(self):
        return [(kind, identifier) for kind in ("shm", "msg", "sem") for identifier in ipc_ids_of(kind, self.uid)]

    def clean(self):
        """Delete the uid's entries and IPC objects that appeared since; rm never follows links, and walks a
        1,500-deep tree without recursion limits."""
        for entry in set(self._files()) - self.files:
            remove_tree(entry)
        flags = {"shm": "-m", "msg": "-q", "sem": "-s"}
        for kind, identifier in set(self._ipc()) - self.ipc:
            subprocess.run(["ipcrm", flags[kind], identifier], capture_output=True, timeout=10, check=False)


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


def stale_boxes():
    """(uid, folder, lock fd) of each sandbox folder under STATE_DIR whose uid's lock is free: a grader killed while
    holding it left it. The lock is the caller's until it closes the fd."""
    found = []
    for folder in STATE_DIR.glob("sandbox-*-*"):       # (older versions' "box-<slot>-" folders are not ours to judge)
        held = folder.name.split("-")[1]
        if not held.isdigit():
            continue
        fd = os.open(lock_file(int(held)), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)                         # held: a live sandbox's folder (or this process's own)
            continue
        found.append((int(held), folder, fd))
    return found


def make_box(uid):
    """A fresh folder for the sandbox of `uid` (held by the caller) under STATE_DIR."""
    while True:
        path = STATE_DIR / f"sandbox-{uid}-{secrets.token_hex(8)}"
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
