"""Executing a template with papermill and a real kernel, without writing it to disk.

papermill saves the notebook after every cell to its output path.  The output
path here is an in-memory papermill I/O handler, so the raw executed notebook
(before the runner's redaction and verification) never touches the disk, and
the last saved state survives a cell error or a dead kernel.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

MEMORY_SCHEME = "jitbench-memory://"
_env_lock = threading.Lock()


class _MemoryHandler:
    """papermill I/O handler keeping notebooks in a dict (registered on first use)."""

    def __init__(self):
        self.files: dict[str, str] = {}

    def read(self, path):
        return self.files[path]

    def write(self, buf, path):
        self.files[path] = buf

    def listdir(self, path):
        return [p for p in self.files if p.startswith(path)]

    def pretty_path(self, path):
        return path


_memory = _MemoryHandler()


def _register_memory_io() -> None:
    from papermill.iorw import papermill_io
    if not any(handler is _memory for _, handler in getattr(papermill_io, "_handlers", [])):
        papermill_io.register(MEMORY_SCHEME, _memory)


@contextlib.contextmanager
def _environment(extra: dict[str, str | None]):
    """``os.environ`` changed by ``extra`` (``None`` unsets) while the kernel starts (it inherits it)."""
    with _env_lock:
        saved = {k: os.environ.get(k) for k in extra}
        for k, v in extra.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _quiet_kernel_manager(launched: list | None = None):
    """A kernel manager whose kernel writes nothing to our terminal (and that ``launched`` records).

    A kernel's own stdout/stderr file descriptors are ours by inheritance:
    output written there (a C library, a subprocess, ipykernel echoing captured
    fd output) would bypass the redaction of notebook outputs and land in a
    terminal or a CI log.  Everything a cell shows reaches the notebook through
    the kernel's messages instead.
    """
    import subprocess

    from jupyter_client.manager import AsyncKernelManager

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):  # the documented override point
            kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
            result = await super()._async_launch_kernel(kernel_cmd, **kw)
            if launched is not None:
                launched.append(self)
            return result

    return QuietKernelManager


@dataclass
class Execution:
    """The result of executing a notebook: the notebook, outcome and where it failed.

    ``outcome`` is ``ok``, ``failed`` (a cell raised), ``kernel-died``,
    ``timeout``, ``interrupted`` (Ctrl-C) or ``error`` (the kernel could not
    run at all).  ``failed_cell`` is the index of the failing code cell in
    ``nb.cells``; ``error`` is the exception's type name, never its message.
    """
    nb: nbformat.NotebookNode
    outcome: str = "ok"
    failed_cell: int | None = None
    execution_count: int | None = None
    error: str | None = None
    seconds: float = 0.0
    events: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def _running_cell(nb) -> int | None:
    """The cell that was executing when the run stopped: the last one that started.

    papermill marks every cell "completed" when it gives up, so the start time
    is the only trace left of where the kernel died.
    """
    started = [i for i, cell in enumerate(nb.cells)
               if cell.cell_type == "code" and cell.get("metadata", {}).get("papermill", {}).get("start_time")]
    return started[-1] if started else None


def execute(path: Path, parameters: dict, *, env: dict[str, str | None] | None = None, cwd: Path | None = None,
            progress: bool = True, kernel_name: str | None = None, cell_timeout: float | None = None,
            start_timeout: float = 60) -> Execution:
    """Run the notebook at ``path`` with ``parameters`` in a fresh kernel; never raises for cell errors.

    ``env`` changes the kernel's environment (that is how the grant reaches
    it, never as a parameter; a ``None`` value removes a variable).  KeyboardInterrupt is recorded as outcome
    ``interrupted``; the caller decides whether to re-raise it.

    >>> ex = execute(Path("templates/error-burst.ipynb"), {"incident_id": "INC-1"})  # doctest: +SKIP
    >>> ex.outcome                                                                       # doctest: +SKIP
    'ok'
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    _register_memory_io()
    launched: list = []
    interrupted = threading.Event()

    def on_ctrl_c(signum, frame):
        # A KeyboardInterrupt raised inside nbclient's event loop can leave it waiting on the busy
        # kernel until the cell ends; ending the kernel instead makes nbclient return at once.
        interrupted.set()
        if not launched:
            raise KeyboardInterrupt  # no kernel yet: stop where we are
        for km in launched:
            pid = getattr(km.provisioner, "pid", None)
            if pid:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_ctrl_c) if in_main else None
    out = f"{MEMORY_SCHEME}{uuid.uuid4().hex}.ipynb"
    started = time.monotonic()
    outcome, failed, count, error = "ok", None, None, None
    try:
        with _environment(env or {}):
            pm.execute_notebook(str(path), out, parameters=parameters, progress_bar=progress,
                                kernel_name=kernel_name, cwd=str(cwd) if cwd else None,
                                execution_timeout=cell_timeout, start_timeout=start_timeout,
                                log_output=False, kernel_manager_class=_quiet_kernel_manager(launched))
    except PapermillExecutionError as err:
        outcome, failed, count, error = "failed", err.cell_index, err.exec_count, err.ename
    except DeadKernelError:
        outcome, error = "kernel-died", "DeadKernelError"
    except CellTimeoutError:
        outcome, error = "timeout", "CellTimeoutError"
    except KeyboardInterrupt:
        outcome, error = "interrupted", "KeyboardInterrupt"
    except Exception as err:  # kernel could not start, bad notebook, or a death nbclient noticed elsewhere
        dead = "kernel died" in str(err).lower() or "dead" in type(err).__name__.lower()
        outcome, error = ("kernel-died" if dead else "error"), type(err).__name__
    finally:
        if in_main:
            signal.signal(signal.SIGINT, previous)
    if interrupted.is_set():
        outcome, error = "interrupted", "KeyboardInterrupt"
    text = _memory.files.pop(out, None)
    nb = nbformat.reads(text, as_version=4) if text else nbformat.read(str(path), as_version=4)
    if outcome not in ("ok", "failed") and failed is None:
        failed = _running_cell(nb)
        if failed is not None:
            count = nb.cells[failed].get("execution_count")
    if outcome == "failed" and failed is not None:
        # papermill inserts marker cells; its index counts them, so find the cell with the error
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                failed, count = i, cell.get("execution_count")
                break
    return Execution(nb, outcome, failed, count, error, time.monotonic() - started)
