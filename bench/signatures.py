"""Objective signatures (``Objective.signature()``: values at five fixed
configurations) computed in a child process, so that an objective that ends
its process, hangs or raises is named instead of taking the driver with it."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from multiprocessing import connection
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from bench.execute import objective_for
from bench.worker import driver_link, exit_status, follow_driver, worker_context

#: Seconds the child process may take to start (the fork server's first start
#: imports every strategy and objective module).
START_TIMEOUT = 120.0

_TIMED_OUT = object()


class SignatureError(RuntimeError):
    """An objective's signature could not be computed: the objective ended the
    process, ran past the time limit, or raised."""


def objective_signatures(
    objectives: Mapping[str, tuple[str, dict[str, Any]]],
    plugins: tuple[str, ...] = (),
    timeout: float = 60.0,
) -> dict[str, list[float]]:
    """The signature of each objective, computed one after the other in one child
    process. ``objectives`` maps a label to the objective's registry name (a
    variant) and the description of the space it is searched over
    (``Space.describe()``). Raises ``SignatureError`` naming the first objective
    that ends the process, takes longer than ``timeout`` seconds or raises; the
    child never outlives the call."""
    if not objectives:
        return {}
    context = worker_context()
    ours, theirs = context.Pipe()
    child = context.Process(
        target=_compute,
        args=(theirs, dict(objectives), tuple(plugins), driver_link()),
        name="tunebench-signatures",
    )
    child.start()
    theirs.close()
    try:
        return {label: _receive(child, ours, label, timeout) for label in objectives}
    finally:
        ours.close()
        if child.is_alive():
            child.kill()
        child.join()


def _compute(
    conn: Connection,
    objectives: dict[str, tuple[str, dict[str, Any]]],
    plugins: tuple[str, ...],
    driver: Connection,
) -> None:
    """The child: for each objective, send ``("start", label)``, then its
    signature, ``("done", values)``, or ``("raised", traceback)`` and stop."""
    follow_driver(driver)
    for label, (name, space) in objectives.items():
        conn.send(("start", label))
        try:
            values = objective_for(name, space, plugins).signature()
        except Exception:
            conn.send(("raised", traceback.format_exc()))
            return
        conn.send(("done", values))


def _receive(child: BaseProcess, conn: Connection, label: str, timeout: float) -> list[float]:
    """The signature of ``label``, the child's next objective."""
    started = _next(child, conn, START_TIMEOUT)
    if started is None:
        raise SignatureError(
            f"the signature process ended ({exit_status(child.exitcode)}) "
            f"before computing the signature of objective {label!r}"
        )
    if started is _TIMED_OUT:
        raise SignatureError(f"the signature process did not start within {START_TIMEOUT:g} s")
    reply = _next(child, conn, timeout)
    if reply is _TIMED_OUT:
        raise SignatureError(
            f"objective {label!r} did not return its signature within {timeout:g} s"
        )
    if reply is None:
        verb = "exited" if (child.exitcode or 0) >= 0 else "ended"
        raise SignatureError(
            f"objective {label!r} {verb} the process ({exit_status(child.exitcode)}) "
            f"while computing its signature"
        )
    kind, payload = reply
    if kind == "raised":
        raise SignatureError(
            f"objective {label!r} raised while computing its signature:\n{payload}"
        )
    return payload


def _next(child: BaseProcess, conn: Connection, limit: float) -> Any:
    """The child's next message; None if it ended first (then joined), or
    ``_TIMED_OUT`` after ``limit`` seconds."""
    if not connection.wait([conn, child.sentinel], limit):
        return _TIMED_OUT
    if conn.poll():
        try:
            return conn.recv()
        except (EOFError, OSError):
            pass
    child.join()
    return None
