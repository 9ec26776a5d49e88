"""A seccomp deny-list built with libseccomp through ctypes, loaded by each forked child.

The worker builds the filter once (``build_filter``) and keeps the raw BPF; every child
loads it with two ``prctl`` calls (``install``), which costs microseconds. Default
action: allow. Denied (``EPERM``): new processes and programs, signals to other
processes, sockets, tracing other processes, namespaces and mounts, kernel keyrings,
BPF, io_uring, raising resource limits. ``clone`` stays allowed for threads only, and
``clone3`` answers ``ENOSYS`` so glibc falls back to ``clone`` (an ``EPERM`` there
would break ``threading``). Standard library only: this runs inside the sandbox.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
from collections.abc import Callable


__all__ = ["DENIED", "build_filter", "install", "prepare"]

DENIED = [
    "execve",
    "execveat",
    "fork",
    "vfork",
    "kill",
    "tkill",
    "tgkill",
    "rt_sigqueueinfo",
    "rt_tgsigqueueinfo",
    "pidfd_open",
    "pidfd_send_signal",
    "pidfd_getfd",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "process_madvise",
    "socket",
    "socketpair",
    "mount",
    "umount2",
    "unshare",
    "setns",
    "pivot_root",
    "chroot",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "bpf",
    "keyctl",
    "add_key",
    "request_key",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "personality",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "syslog",
    "acct",
    "setrlimit",
    "quotactl",
    "name_to_handle_at",
    "open_by_handle_at",
    "fanotify_init",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "iopl",
    "ioperm",
    "vhangup",
]

_ACT_ALLOW = 0x7FFF0000
_CMP_NE = 1
_CMP_MASKED_EQ = 7
_CLONE_THREAD = 0x00010000
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2


def _errno_action(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class _ArgCmp(ctypes.Structure):
    _fields_ = (
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    )


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    lib = ctypes.CDLL(name, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    ]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    return lib


def build_filter() -> bytes:
    """Compile the deny-list to raw BPF (``struct sock_filter[]``) for this architecture."""
    lib = _library()
    ctx = lib.seccomp_init(_ACT_ALLOW)
    if not ctx:
        raise OSError("seccomp_init failed")
    try:
        deny = _errno_action(errno.EPERM)

        def rule(name: str, action: int, *cmps: _ArgCmp) -> None:
            nr = lib.seccomp_syscall_resolve_name(name.encode())
            if nr < 0:  # not a syscall on this architecture
                return
            array = (_ArgCmp * len(cmps))(*cmps) if cmps else None
            rc = lib.seccomp_rule_add_array(ctx, action, nr, len(cmps), array)
            if rc < 0:
                raise OSError(-rc, f"seccomp rule for {name} failed")

        for name in DENIED:
            rule(name, deny)
        rule("clone", deny, _ArgCmp(0, _CMP_MASKED_EQ, _CLONE_THREAD, 0))
        rule("clone3", _errno_action(errno.ENOSYS))
        # reading limits is harmless (prlimit64 with new_limit NULL); raising them is not
        rule("prlimit64", deny, _ArgCmp(2, _CMP_NE, 0, 0))
        read_fd, write_fd = os.pipe()
        try:
            rc = lib.seccomp_export_bpf(ctx, write_fd)
            os.close(write_fd)
            write_fd = -1
            if rc < 0:
                raise OSError(-rc, "seccomp_export_bpf failed")
            chunks = []
            while chunk := os.read(read_fd, 65536):
                chunks.append(chunk)
            return b"".join(chunks)
        finally:
            os.close(read_fd)
            if write_fd >= 0:
                os.close(write_fd)
    finally:
        lib.seccomp_release(ctx)


def prepare(bpf: bytes) -> Callable[[], None]:
    """Everything ``install`` needs, built once (in the worker); calling the result loads the filter.

    Each child then only makes two ``prctl`` calls, with no allocation or library loading.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    zero, one = ctypes.c_ulong(0), ctypes.c_ulong(1)
    mode = ctypes.c_ulong(_SECCOMP_MODE_FILTER)
    buf = ctypes.create_string_buffer(bpf, len(bpf))
    prog = _SockFprog(len(bpf) // 8, ctypes.cast(buf, ctypes.c_void_p))
    prog_ref = ctypes.byref(prog)

    def load() -> None:
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, one, zero, zero, zero) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        if libc.prctl(_PR_SET_SECCOMP, mode, prog_ref, zero, zero) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP failed")

    load.keep_alive = (buf, prog)  # type: ignore[attr-defined]  # the filter must outlive this frame
    return load


def install(bpf: bytes) -> None:
    """Load ``bpf`` into the calling process for good (no new privileges, then the filter)."""
    prepare(bpf)()
