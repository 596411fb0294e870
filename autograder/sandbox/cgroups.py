"""A cgroup per sandbox (v2, or v1 memory + pids), nested under the grader's own: memory of every process
the student starts (from any thread), tmpfs and shared memory included; a pids limit; a kill of the whole group.

    group = Cgroup.create("slot3", limits, memory_mb)     # None where cgroups cannot be written (Gradescope)
    group.join()                                          # in the child, before anything of the student runs
    group.memory_bytes(); group.oom_kills(); group.kill(); group.remove()
"""
import os
import signal
import time
from pathlib import Path

MB = 1024 * 1024


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
                parent = Path("/sys/fs/cgroup") / own_cgroup_v2().lstrip("/")
                group = cls._make("v2", {"": parent / "cnn-autograder" / name})
                write(group.folders[""] / "memory.max", str(memory_mb * MB))
                write(group.folders[""] / "memory.swap.max", "0", optional=True)
                write(group.folders[""] / "pids.max", str(limits.processes))
                return group
            # Under the grader's own groups: a container's limit still holds over the sandbox's.
            roots = {controller: Path("/sys/fs/cgroup") / controller / own_cgroup_v1(controller).lstrip("/")
                     for controller in ("memory", "pids", "freezer")}
            if not all(root.is_dir() for root in roots.values()):
                return None
            group = cls._make("v1", {c: root / "cnn-autograder" / name for c, root in roots.items()})
            write(group.folders["memory"] / "memory.limit_in_bytes", str(memory_mb * MB))
            write(group.folders["memory"] / "memory.memsw.limit_in_bytes", str(memory_mb * MB), optional=True)
            write(group.folders["pids"] / "pids.max", str(limits.processes))
            return group
        except OSError:
            return None

    @classmethod
    def _make(cls, version, folders):
        group = cls(version, folders)
        group.kill()                   # a stale group of a grader that died (even mid-freeze): killed and thawed
        for folder in folders.values():
            folder.mkdir(parents=True, exist_ok=True)
        if version == "v2":
            parent = folders[""].parent
            write(parent / "cgroup.subtree_control", "+memory +pids", optional=True)
        else:
            write(folders["memory"] / "memory.max_usage_in_bytes", "0", optional=True)
        return group

    def join(self):
        for folder in self.folders.values():
            write(folder / "cgroup.procs", str(os.getpid()))

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
                write(self.folders[""] / "cgroup.kill", "1", optional=True)
                return
            signal_all(self.pids())
            return
        # v1: SIGKILL every member until none is left. No freezing: a grader killed between freezing and thawing
        # (Ctrl-C, a batch's SIGTERM then SIGKILL) left frozen processes that cannot die. A member forking in a
        # loop cannot outrun this for long: the sandbox also kills its uid with kill(-1), atomic against fork,
        # and with namespaces the PID namespace dies with its first process.
        freezer = self.folders["freezer"] / "freezer.state"
        if read(freezer) not in ("THAWED", ""):
            write(freezer, "THAWED", optional=True)      # a group an older grader left frozen
        for _ in range(100):
            members = self.pids()
            if not members:
                break
            signal_all(members)
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


def own_cgroup_v1(controller):
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    return "/"


def own_cgroup_v2():
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return line[3:]
    return "/"


def container_memory(unseen_mb=0):
    """(bytes, where that came from) of the memory this grader and its sandboxes may use together: the tightest
    cgroup limit above us (v2 memory.max, v1 memory.limit_in_bytes) -> "cgroup"; where none is visible, unseen_mb
    when given -> "assumed" (Gradescope's container: killed at its limit though the grader cannot read it), else
    the machine's physical memory -> "machine"."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    limits = []
    if Path("/sys/fs/cgroup/cgroup.controllers").exists():
        base, name, path = Path("/sys/fs/cgroup"), "memory.max", own_cgroup_v2()
    else:
        base, name, path = Path("/sys/fs/cgroup/memory"), "memory.limit_in_bytes", own_cgroup_v1("memory")
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
    limits = [limit for limit in limits if limit < physical]
    if limits:
        return min(limits), "cgroup"
    if unseen_mb:
        return min(unseen_mb * MB, physical), "assumed"
    return physical, "machine"


def read(path):
    try:
        return Path(path).read_text().strip()
    except OSError:
        return ""


def write(path, text, optional=False):
    try:
        with open(path, "w") as file:
            file.write(text)
    except OSError:
        if not optional:
            raise


def signal_all(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
