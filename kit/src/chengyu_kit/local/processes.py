"""Background processes tracked by pid files (no daemon manager, no Docker).

A process is started in its own session, detached from the caller (it keeps running when
the caller exits), with stdout and stderr appended to a log file. Its pid goes into a pid
file; a later caller (another object or another process) finds it there. A pid is trusted
only while ``/proc/<pid>/cmdline`` still contains a marker string (for instance the path of
the node's own config file), so a recycled pid is never mistaken for ours.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

_PROC = Path("/proc")


def _state(pid: int) -> str | None:
    """The one-letter process state from /proc (``Z`` for a zombie), None if gone."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # pid (comm) S ...; comm may contain spaces and parentheses: split at the last ')'.
    return stat.rpartition(")")[2].split()[0]


def _reap(pid: int) -> None:
    """Collect the exit status if `pid` is our own child (else nothing to do)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def pid_alive(pid: int, marker: str | None = None) -> bool:
    """True if `pid` runs (not a zombie) and, if given, its command line contains `marker`."""
    if pid <= 0:
        return False
    _reap(pid)
    state = _state(pid)
    if state is None:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return not _PROC.is_dir()  # no /proc at all: trust kill(0)
    if state in ("Z", "X"):
        return False
    if marker is None:
        return True
    try:
        cmdline = (_PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return marker.encode() in cmdline


def read_pid(pid_file: Path) -> int | None:
    try:
        text = pid_file.read_text().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def running_pid(pid_file: Path, marker: str | None = None) -> int | None:
    """The pid recorded in `pid_file` if that process is still ours and alive."""
    pid = read_pid(pid_file)
    if pid is not None and pid_alive(pid, marker):
        return pid
    return None


def spawn_detached(
    argv: Sequence[str],
    *,
    log_file: Path,
    pid_file: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Start `argv` in a new session, output appended to `log_file`; write and return its pid.

    The process is started through ``sh`` and left to init, so it outlives the caller and no
    zombie stays behind in the caller when it ends.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    script = 'log="$1"; shift; "$@" >>"$log" 2>&1 </dev/null & echo $!'
    result = subprocess.run(
        ["/bin/sh", "-c", script, "sh", str(log_file), *argv],
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=True,
        start_new_session=True,
    )
    pid = int(result.stdout.strip())
    pid_file.write_text(f"{pid}\n")
    return pid


def terminate(pid: int, *, marker: str | None = None, timeout: float = 30.0) -> bool:
    """SIGTERM, wait up to `timeout` s, then SIGKILL. True if it had to be killed."""
    if not pid_alive(pid, marker):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_gone(pid, timeout):
        return False
    kill(pid)
    return True


def kill(pid: int, timeout: float = 10.0) -> None:
    """SIGKILL and wait until the process is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if not wait_gone(pid, timeout):
        raise RuntimeError(f"process {pid} is still there after SIGKILL")


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if not pid_alive(pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock held for the `with` block (serialises start/stop)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def tail(path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a text file ('' if absent), for error messages."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
