"""Kernel zygote: a Python that imported torch, numpy and ipykernel once, and forks each student's kernel into the
walls bubblewrap built for it. Run as ``python -I zygote.py SOCKET`` by the grader (`process.Zygote`); never
imported, and it imports nothing of the course's, so no reference code is in the memory a kernel inherits.

A kernel started the usual way pays about 3 CPU-s for ``import torch`` (and 0.6 s for ipykernel) before any student
code runs; forked from here it pays a few milliseconds, and every kernel still gets walls of its own:

1. The grader launches bubblewrap as before (namespaces, mounts, the kernel's control group), but the command behind
   the walls is a placeholder (`process.HOLDER`) that, once it runs as the kernel's uid, writes one byte and waits.
2. The grader sends this server a request over SOCKET (a Unix socket in a folder only the grader may enter): a JSON
   header and three file descriptors (that byte's pipe, the kernel's end of the bridge socket, its log).
3. The server forks at once; only the child reads the request, so the server's memory never holds one kernel's
   request when it forks the next. The child waits for the byte, opens the namespaces of the sandbox's first
   process and joins its pid namespace, and forks the kernel, which:
   moves itself into the kernel's control group, joins the other namespaces (ipc, uts, network, cgroup, mounts:
   from then on it sees the sandbox's file system only), starts a session of its own, drops to the kernel's uid
   (no groups, no capabilities in any set, no new privileges; checked in ``/proc/self/status``), closes every
   other descriptor, takes the kernel's environment, reseeds the random generators it inherited, and runs
   ``boot.py`` as ``python -I boot.py -f CONNECTION_FILE`` would (limits, import guard, bridge, ipykernel).
4. The child reports to the grader (started, or why not: the grader then launches the kernel the usual way),
   waits for the kernel, and then kills the sandbox's first process, so the kernel's death ends the sandbox as
   bubblewrap's own would. The kernel dies with the sandbox (its pid namespace) and with the child (the boot's
   parent-death signal).

The server never runs student code or a check, holds no request, starts no thread, and exits when the grader does
(its stdin, a pipe from the grader, closes).
"""

import ctypes
import fcntl
import json
import os
import select
import shutil
import signal
import socket
import struct
import sys
import traceback

_NAMESPACES = ("ipc", "uts", "net", "cgroup", "mnt")  # joined by the kernel, after the pid namespace and its group
_PR_SET_DUMPABLE, _PR_SET_KEEPCAPS, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS = 4, 8, 24, 38
_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
_LIBC = ctypes.CDLL(None, use_errno=True)


class Refused(Exception):
    """The kernel cannot be started from here; the message says why (the grader launches it the usual way)."""


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise Refused(f"{what}: {os.strerror(err)}")


def _prctl(option: int, arg: int, what: str) -> None:
    _check(_LIBC.prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)), what)


def _setns(fd: int, name: str) -> None:
    _check(_LIBC.setns(fd, 0), f"joining the sandbox's {name} namespace")


# -- the server --------------------------------------------------------------------------------------------------
def serve(path: str) -> None:
    import ipykernel.kernelapp  # noqa: F401 - what every kernel imports, loaded once here
    import numpy  # noqa: F401
    import setproctitle
    import torch  # noqa: F401

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path + ".new")
    os.chmod(path + ".new", 0o600)
    os.rename(path + ".new", path)  # the socket appears only once the server can fork kernels
    listener.listen(64)
    signal.signal(signal.SIGCHLD, lambda *_: _reap())  # no zombie lingers once a kernel's child exits
    try:
        while True:
            ready, _, _ = select.select([listener, sys.stdin.fileno()], [], [], 5.0)
            if sys.stdin.fileno() in ready and not os.read(sys.stdin.fileno(), 1):
                return  # the grader is gone
            if listener in ready:
                try:
                    conn, _ = listener.accept()
                except OSError:  # out of descriptors, or the grader gave up: its kernel is launched the usual way
                    continue
                with conn:
                    try:
                        child = os.fork()
                    except OSError:  # out of processes: the same
                        continue
                    if child == 0:
                        listener.close()
                        _child(conn)  # never returns
    finally:
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)  # the socket and this server's log


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


# -- the child: one kernel ---------------------------------------------------------------------------------------
def _child(conn: socket.socket) -> None:
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    code = 1
    try:
        os.close(0)
        pid, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        if uid != 0:  # the folder is the grader's alone; a request from anyone else is not read
            return
        message, fds, _, _ = socket.recv_fds(conn, 1 << 16, 8)
        while len(message) < 1 << 20 and (more := conn.recv(1 << 16)):  # the rest, up to the grader's shutdown
            message += more
        try:
            request = json.loads(message)
            kernel, init = _launch(request, fds)
        except (Refused, OSError, ValueError, KeyError, TypeError) as err:
            conn.sendall(json.dumps({"error": str(err) or type(err).__name__}).encode())
            return
        finally:
            for fd in fds:
                os.close(fd)
        conn.sendall(json.dumps({"pid": kernel}).encode())
        conn.close()
        os.waitpid(kernel, 0)  # the kernel ended: so does its sandbox, as bubblewrap's own command would end it
        try:
            signal.pidfd_send_signal(init, signal.SIGKILL)
        except ProcessLookupError:  # it ended first (the grader stopped the sandbox)
            pass
        code = 0
    except Exception:  # noqa: BLE001 - nothing to report to but this child's exit code
        traceback.print_exc()
    finally:
        os._exit(code)


def _only_child(pid: int, what: str) -> int:
    """Process `pid`'s only child (bubblewrap's: the sandbox's first process, pid 1 of its namespace; that one's:
    the sandbox's command)."""
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        children = fh.read().split()
    if len(children) != 1:
        raise Refused(f"{what} ({pid}) has {len(children)} children, not one")
    return int(children[0])


def _launch(request: dict, fds: list):
    """Fork the kernel into the sandbox `request` names; returns (its pid, a pidfd of the sandbox's first process)."""
    ready, bridge, log = fds
    uid = int(request["uid"])
    if uid <= 0:
        raise Refused("a kernel never runs as root")
    if not select.select([ready], [], [], float(request.get("timeout", 60)))[0] or os.read(ready, 1) != b"x":
        raise Refused("the sandbox did not come up")
    groups = [str(path) for path in request.get("cgroups", [])]
    if not all(path.startswith("/sys/fs/cgroup/") and "/diffcourse/kernel-" in path and path.endswith("/cgroup.procs")
               and ".." not in path for path in groups):
        raise Refused("a control group that is not a kernel's budget")
    init = _only_child(int(request["bwrap"]), "bubblewrap")
    placeholder = _only_child(init, "the sandbox")  # the sandbox's only command, run as the kernel's uid
    with open(f"/proc/{placeholder}/status") as fh:
        placeholder_uid = next(line.split()[1] for line in fh if line.startswith("Uid:"))
    if int(placeholder_uid) != uid:
        raise Refused("the sandbox's command does not run as the kernel's uid")
    own = {ns: os.stat(f"/proc/self/ns/{ns}").st_ino for ns in ("user", "pid", *_NAMESPACES)}
    theirs = {ns: os.stat(f"/proc/{init}/ns/{ns}").st_ino for ns in own}
    if theirs["user"] != own["user"]:
        raise Refused("the sandbox has a user namespace of its own (bubblewrap without root)")
    if theirs["pid"] == own["pid"] or theirs["mnt"] == own["mnt"]:
        raise Refused("the sandbox has no pid or mount namespace of its own")
    pidfd = os.pidfd_open(init)
    joined = {ns: os.open(f"/proc/{init}/ns/{ns}", os.O_RDONLY)
              for ns in ("pid", *_NAMESPACES) if theirs[ns] != own[ns]}
    if (_only_child(int(request["bwrap"]), "bubblewrap") != init
            or os.stat(f"/proc/{init}/ns/pid").st_ino != theirs["pid"]):
        raise Refused("the sandbox's first process changed while its namespaces were opened")
    groups = [os.open(path, os.O_WRONLY) for path in groups]
    last_cap = int(open("/proc/sys/kernel/cap_last_cap").read())
    pid_ns = joined.pop("pid")
    _setns(pid_ns, "pid")
    os.close(pid_ns)
    report_r, report_w = os.pipe()
    kernel = os.fork()
    if kernel == 0:
        os.close(report_r)
        _become_kernel(request, uid, joined, groups, last_cap, ready, bridge, log, report_w)  # never returns
    os.close(report_w)
    for fd in [*joined.values(), *groups]:
        os.close(fd)
    with os.fdopen(report_r, "rb") as fh:
        report = fh.read()
    if report != b"ok":
        os.waitpid(kernel, 0)
        raise Refused(report.decode(errors="replace") or "the kernel died while it was set up")
    return kernel, pidfd


def _become_kernel(request, uid, joined, groups, last_cap, ready, bridge, log, report) -> None:
    try:
        for fd in groups:  # "0": this process; while it still sees the group from outside the sandbox
            os.write(fd, b"0")
        for ns in _NAMESPACES:
            if ns in joined:
                _setns(joined[ns], ns)
        os.setsid()
        os.chdir(request["workdir"])
        null = os.open("/dev/null", os.O_RDWR)
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in (null, log, log, bridge, report)]
        for target, fd in enumerate(high):  # stdin, stdout, stderr, the bridge, the report
            os.dup2(fd, target)
        report = 4
        os.closerange(5, os.sysconf("SC_OPEN_MAX"))
        os.set_inheritable(3, True)
        _drop(uid, last_cap)
        _prctl(_PR_SET_DUMPABLE, 1, "making the kernel dumpable")  # as after an exec: /proc/self is its own
        os.umask(int(request["umask"]))  # the worker's, which a launched kernel inherits
        signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's own, as in a fresh interpreter
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in request["env"].items()})
        os.environ["DC_BRIDGE_FD"] = "3"
        _reseed()
        boot = request["boot"]
        sys.argv = [boot, "-f", request["connection_file"]]
        sys.modules["setproctitle"].setproctitle(" ".join([sys.executable, "-I", *sys.argv]))  # as ps shows a kernel
        os.write(report, b"ok")
        os.close(report)
    except BaseException as err:  # noqa: BLE001 - reported to the grader, which then starts the kernel itself
        try:
            os.write(report, f"{type(err).__name__}: {err}".encode()[:2000])
        finally:
            os._exit(1)
    import runpy

    try:
        runpy.run_path(boot, run_name="__main__")
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    except BaseException:  # noqa: BLE001 - the kernel's own crash, in its log
        traceback.print_exc()
        code = 1
    os._exit(code)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop(uid: int, last_cap: int) -> None:
    """Become `uid` as ``setpriv --reuid --regid --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all``
    does, and check it in /proc/self/status."""
    for cap in range(last_cap + 1):
        _prctl(_PR_CAPBSET_DROP, cap, f"dropping capability {cap} from the bounding set")
    _prctl(_PR_SET_KEEPCAPS, 0, "clearing keep-capabilities")
    _check(_LIBC.prctl(_PR_CAP_AMBIENT, ctypes.c_ulong(_PR_CAP_AMBIENT_CLEAR_ALL), ctypes.c_ulong(0),
                       ctypes.c_ulong(0), ctypes.c_ulong(0)), "clearing the ambient capabilities")
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    data = (_CapData * 2)()
    _check(_LIBC.capset(ctypes.byref(_CapHeader(0x20080522, 0)), data), "clearing the inheritable capabilities")
    _prctl(_PR_SET_NO_NEW_PRIVS, 1, "setting no-new-privileges")
    with open("/proc/self/status") as fh:
        status = dict(line.split(":", 1) for line in fh.read().splitlines() if ":" in line)
    wanted = {"Uid": f"{uid}\t{uid}\t{uid}\t{uid}", "Gid": f"{uid}\t{uid}\t{uid}\t{uid}", "Groups": "",
              "NoNewPrivs": "1", **{k: "0" * 16 for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}}
    wrong = [k for k, v in wanted.items() if status.get(k, "").strip() != v]
    if wrong:
        raise Refused("the kernel's privileges are not dropped: " + ", ".join(f"{k} {status.get(k, '').strip()!r}"
                                                                         for k in wrong))


def _reseed() -> None:
    """Fresh entropy for the generators a kernel started afresh would have seeded itself (torch's seeds are fixed
    at import anyway): Python's `random`, numpy's legacy global generator, and tempfile's names."""
    import random
    import tempfile

    random.seed()
    if "numpy.random" in sys.modules:
        sys.modules["numpy.random"].seed()
    tempfile._name_sequence = None  # noqa: SLF001 - its generator of names, drawn again
    tempfile.tempdir = None


if __name__ == "__main__":
    serve(sys.argv[1])
