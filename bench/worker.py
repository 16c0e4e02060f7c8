"""Worker processes: the Dask worker preload, and the plumbing of the local
processes a driver starts (pool workers, the signature process).

Dask: ``dask worker ADDRESS --nthreads 1 --preload bench.worker`` imports the
harness and every registered strategy and objective when the worker starts
(not at its first run) and pins BLAS to one thread, so N single-threaded
workers use N cores.

Local: every process is forked by one fork server per driver, which has
imported the harness and the driver's strategy and objective modules once.
Such a process is not the driver's child but the fork server's, and the fork
server lives as long as any process it forked, so neither notices the driver
dying. Each process therefore holds the read end of a pipe that only the
driver can write to (``driver_link``): when the driver ends, however it ends
(kill -9 included), the read end sees end-of-file and the process exits
(``follow_driver``); the fork server and the resource tracker then exit too,
once no process they serve is left.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from typing import Any

from threadpoolctl import threadpool_limits

from bench.registry import default_registry

#: The exit code of a process that found its driver gone.
EXIT_ORPHANED = 70

_link: tuple[int, Connection, Connection] | None = None


def dask_setup(worker: Any) -> None:
    """Called by Dask when a worker preloads this module."""
    threadpool_limits(1)
    default_registry()


def worker_context() -> ForkServerContext:
    """The fork server context. The server, started once per driver, imports the
    harness and every strategy and objective module the driver has loaded, so
    that each process it forks starts with them."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_preload())
    return context


def _preload() -> list[str]:
    loaded = [
        name
        for name in list(sys.modules)
        if name.split(".")[0] in ("strategies", "objectives") and "." in name
    ]
    return ["bench.execute", "bench.signatures", *sorted(loaded)]


def driver_link() -> Connection:
    """The read end of a pipe whose write end only this process holds (and never
    writes to): pass it to a child, which calls ``follow_driver`` with it."""
    global _link
    if _link is None or _link[0] != os.getpid():
        reader, writer = multiprocessing.Pipe(duplex=False)
        _link = (os.getpid(), reader, writer)
    return _link[1]


def follow_driver(link: Connection) -> None:
    """Exit this process (``EXIT_ORPHANED``) as soon as the driver that gave it
    ``link`` has ended; ignore Ctrl-C, which the driver handles."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            link.recv_bytes()
        os._exit(EXIT_ORPHANED)

    threading.Thread(target=watch, name="follow-driver", daemon=True).start()


def exit_status(exitcode: int | None) -> str:
    """A process's end in words: 'exit code 3', 'signal 9 (SIGKILL)'."""
    if exitcode is None:
        return "exit status unknown"
    if exitcode >= 0:
        return f"exit code {exitcode}"
    try:
        return f"signal {-exitcode} ({signal.Signals(-exitcode).name})"
    except ValueError:
        return f"signal {-exitcode}"
