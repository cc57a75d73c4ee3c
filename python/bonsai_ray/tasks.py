"""What runs on the Ray workers: one `bonsai` command line per task.

A task's outcome is a `StepResult` — the exit status and the output of `bonsai` — so that a
usage error or bad input, which would fail again on any machine, reaches the driver as it
is and is never retried. Only a `bonsai` process killed by a signal (out of memory, a node
going away) raises `BonsaiCrashed`, which Ray retries like the death of a worker.

This module is sent to the workers by value (`ray.cloudpickle.register_pickle_by_value`):
they need Ray and the `bonsai` executable, not this package.
"""
from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
from dataclasses import dataclass
from typing import Callable

# Test hook: when this variable names a file, the first `bonsai shards prune` task to find
# it removes it and kills its own worker process, as a machine dying mid-run would; Ray then
# retries the task on another worker.
KILL_ONCE_VARIABLE = "BONSAI_RAY_KILL_ONCE"

# Linux's prctl option that sends a signal to a process when its parent dies.
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class StepResult:
    """How one `bonsai` command line ended on a worker."""

    command: list[str]
    host: str
    returncode: int
    stdout: str
    stderr: str


class BonsaiCrashed(RuntimeError):
    """`bonsai` was killed by a signal: worth running again (Ray retries it)."""


def _dying_with_worker() -> Callable[[], None]:
    """What the child runs before `exec`: asks Linux to kill `bonsai` when its worker dies,
    so that no orphan writes on while Ray retries the task elsewhere. The C function is
    looked up here, in the worker, not in the forked child."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    return lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _kill_worker_once(arguments: list[str]) -> None:
    """The test hook of `KILL_ONCE_VARIABLE`."""
    marker = os.environ.get(KILL_ONCE_VARIABLE)
    if not marker or arguments[:2] != ["shards", "prune"]:
        return
    try:
        os.unlink(marker)
    except FileNotFoundError:
        return
    os.kill(os.getpid(), signal.SIGKILL)


def run_bonsai(bonsai: str, arguments: list[str], cwd: str) -> StepResult:
    """Runs `bonsai ARGUMENTS…` in `cwd` (the driver's working folder, on the shared file
    system, so that relative paths mean the same on every machine)."""
    _kill_worker_once(arguments)
    command = [bonsai, *arguments]
    host = socket.gethostname()
    try:
        process = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, preexec_fn=_dying_with_worker())
    except FileNotFoundError:
        return StepResult(command, host, 127, "",
                          f"bonsai-ray: cannot run {bonsai} on {host}: no such executable "
                          "(install bonsai on every worker's PATH, or pass --bonsai PATH)")
    except PermissionError:
        return StepResult(command, host, 126, "",
                          f"bonsai-ray: cannot run {bonsai} on {host}: not executable")
    except OSError as error:
        return StepResult(command, host, 126, "", f"bonsai-ray: cannot run {bonsai} on {host}: {error}")
    if process.returncode < 0:
        raise BonsaiCrashed(
            f"{' '.join(command)} on {host} killed by signal {-process.returncode}: {process.stderr}")
    return StepResult(command, host, process.returncode, process.stdout, process.stderr)
