"""The seccomp filter every worker runs under: a small classic-BPF program of our own, installed through ctypes.

Installed last in the child before exec (after it dropped to the sandbox uid), with PR_SET_NO_NEW_PRIVS, so it
needs no CAP_SYS_ADMIN and holds on Gradescope as everywhere. It is inherited by everything the student starts and
cannot be removed. What it refuses (EPERM unless said):

- every socket(): no network (AF_INET, AF_INET6), no packet or netlink sockets, and no AF_UNIX either, since nothing
  the worker runs needs one (the protocol is two pipes); socketpair() only for AF_UNIX (a connected pair reaches
  nobody);
- namespaces: unshare, setns, clone with any CLONE_NEW* flag; clone3 answers ENOSYS (its flags live in memory a
  filter cannot read, and glibc then falls back to clone);
- the kernel's other surfaces a NumPy or TensorFlow program never needs: ptrace, process_vm_*, mount and the new
  mount API, pivot_root, chroot, bpf, perf_event_open, keyrings, io_uring, userfaultfd, modules, kexec, and the like;
- any other architecture's calls: a filter is only correct for the system call table it was written for, so a call
  made through another ABI (i386's int 0x80, x32) kills the process.

Why our own BPF and not a library: libseccomp's Python binding is Debian's python3-seccomp (the system Python only),
and pyseccomp (ctypes over libseccomp.so.2) would add a dependency to every lock for about the same forty lines as
the program below; the program is tested by test_isolation.py from inside real workers. Only x86-64 is written;
elsewhere `install()` raises and no student code runs.
"""
import ctypes
import ctypes.util
import errno
import os
import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER = 1
SYS_SECCOMP = 317                       # x86-64
AF_UNIX = 1
# CLONE_NEWTIME, CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET
NAMESPACE_FLAGS = 0x80 | 0x20000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000

RET_KILL_PROCESS, RET_ALLOW, RET_ERRNO = 0x80000000, 0x7FFF0000, 0x00050000
LD_W_ABS, JEQ_K, JGE_K, JSET_K, RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
NR_OFFSET, ARCH_OFFSET, ARG0_LOW_OFFSET = 0, 4, 16       # struct seccomp_data (little-endian)

SYSCALLS = {            # x86-64 numbers (arch/x86/entry/syscalls/syscall_64.tbl)
    "socket": 41, "socketpair": 53, "clone": 56, "ptrace": 101, "syslog": 103, "personality": 135,
    "vhangup": 153, "pivot_root": 155, "chroot": 161, "acct": 163, "mount": 165, "umount2": 166, "swapon": 167,
    "swapoff": 168, "reboot": 169, "iopl": 172, "ioperm": 173, "init_module": 175, "delete_module": 176,
    "quotactl": 179, "lookup_dcookie": 212, "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250,
    "unshare": 272, "perf_event_open": 298, "name_to_handle_at": 303, "open_by_handle_at": 304, "setns": 308,
    "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312, "finit_module": 313, "kexec_file_load": 320,
    "bpf": 321, "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "clone3": 435, "pidfd_getfd": 438, "mount_setattr": 442,
}
REFUSED = tuple(name for name in SYSCALLS if name not in ("socketpair", "clone", "clone3"))

LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


class _Filter(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def supported():
    """True where this filter is written for the machine's system calls (x86-64 Linux)."""
    return platform.system() == "Linux" and platform.machine() in ("x86_64", "AMD64")


def program():
    """The filter as a list of (code, jt, jf, k) instructions."""
    deny = RET_ERRNO | errno.EPERM
    code = [(LD_W_ABS, 0, 0, ARCH_OFFSET),
            (JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
            (RET_K, 0, 0, RET_KILL_PROCESS),
            (LD_W_ABS, 0, 0, NR_OFFSET),
            (JGE_K, 0, 1, X32_SYSCALL_BIT),
            (RET_K, 0, 0, RET_KILL_PROCESS)]
    for name in REFUSED:
        code += [(JEQ_K, 0, 1, SYSCALLS[name]), (RET_K, 0, 0, deny)]
    code += [(JEQ_K, 0, 1, SYSCALLS["clone3"]), (RET_K, 0, 0, RET_ERRNO | errno.ENOSYS),
             # clone: refused with a namespace flag in its first argument (the flags; the low word holds them all)
             (JEQ_K, 0, 4, SYSCALLS["clone"]),
             (LD_W_ABS, 0, 0, ARG0_LOW_OFFSET),
             (JSET_K, 0, 1, NAMESPACE_FLAGS),
             (RET_K, 0, 0, deny),
             (RET_K, 0, 0, RET_ALLOW),
             # socketpair: AF_UNIX only
             (JEQ_K, 0, 4, SYSCALLS["socketpair"]),
             (LD_W_ABS, 0, 0, ARG0_LOW_OFFSET),
             (JEQ_K, 1, 0, AF_UNIX),
             (RET_K, 0, 0, deny),
             (RET_K, 0, 0, RET_ALLOW),
             (RET_K, 0, 0, RET_ALLOW)]
    return code


def install():
    """Install the filter in this process (and so in everything it starts) and check it from inside: an AF_INET
    socket and a new user namespace must both be refused. Raises OSError otherwise; call between fork and exec."""
    if not supported():
        raise OSError(errno.ENOSYS, f"the sandbox's seccomp filter is written for x86-64, not {platform.machine()}")
    instructions = program()
    buffer = ctypes.create_string_buffer(b"".join(struct.pack("=HBBI", *step) for step in instructions))
    prog = _Filter(len(instructions), ctypes.cast(buffer, ctypes.c_void_p).value)
    if LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if LIBC.syscall(SYS_SECCOMP, SECCOMP_SET_MODE_FILTER, 0, ctypes.byref(prog)) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"seccomp(SECCOMP_SET_MODE_FILTER): {os.strerror(number)}")
    verify_inside()


def verify_inside():
    """Raise OSError unless this process can neither open an AF_INET socket nor create a user namespace."""
    fd = LIBC.socket(2, 1, 0)                  # AF_INET, SOCK_STREAM
    if fd >= 0:
        os.close(fd)
        raise OSError(errno.EEXIST, "the seccomp filter let an AF_INET socket be opened")
    if LIBC.unshare(0x10000000) == 0:          # CLONE_NEWUSER
        raise OSError(errno.EEXIST, "the seccomp filter let a user namespace be created")


def filtered(pid):
    """True when process `pid` runs under a seccomp filter with no_new_privs (/proc/<pid>/status), seen from
    outside."""
    try:
        with open(f"/proc/{pid}/status") as file:
            fields = dict(line.split(":", 1) for line in file if ":" in line)
    except OSError:
        return False
    return fields.get("Seccomp", "").strip() == "2" and fields.get("NoNewPrivs", "").strip() == "1"


def problem():
    """None when the filter installs and holds here (tried in a forked child), else why not."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        try:
            install()
            os._exit(0)
        except BaseException as error:       # noqa: BLE001 - the child reports and exits, whatever it was
            os.write(writer, str(error).encode()[:500])
            os._exit(1)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        message = pipe.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    return None if os.waitstatus_to_exitcode(status) == 0 else (message or f"exit status {status}")
