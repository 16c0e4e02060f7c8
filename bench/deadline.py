"""A per-trial time limit: interrupt an evaluation that runs too long.

In a process's main thread (the in-process and process-pool executors) the
limit is a ``SIGALRM`` timer, which also interrupts ``time.sleep`` and
blocking calls. In any other thread (Dask runs tasks in worker threads) the
limit is raised asynchronously in that thread (``PyThreadState_SetAsyncExc``)
and lands at the next Python bytecode: a training loop is interrupted within
one step; a single long call into C is not, and the loop records it as a
timeout when it returns (``bench.loop`` checks the elapsed time too).
"""

from __future__ import annotations

import ctypes
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class TrialTimeout(BaseException):
    """Raised inside an evaluation that exceeded its time limit.

    A ``BaseException``, like ``KeyboardInterrupt``, so that an objective's own
    ``except Exception`` cannot swallow it.
    """


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise ``TrialTimeout`` in the calling thread once ``seconds`` have passed
    inside the block; no limit if ``seconds`` is None."""
    if seconds is None:
        yield
    elif threading.current_thread() is threading.main_thread():
        with _alarm(seconds):
            yield
    else:
        with _async_raise(seconds):
            yield


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    active = True

    def expire(signum, frame):
        if active:
            raise TrialTimeout(f"evaluation exceeded its time limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        active = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextmanager
def _async_raise(seconds: float) -> Iterator[None]:
    target = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def expire() -> None:
        with lock:
            if not state["done"]:
                state["fired"] = True
                _set_async_exc(target, TrialTimeout)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["done"] = True
            fired = state["fired"]
        timer.cancel()
        if fired:
            _set_async_exc(target, None)


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    """Schedule ``exc`` in thread ``thread_id``, or clear a pending one (None)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None
    )
