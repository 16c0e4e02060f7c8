"""A Dask cluster on this machine's loopback interface, started as subprocesses:
what the tests and ``make perf-scale`` use, and a way to try ``--executor dask``
without a real cluster.

For a real cluster start ``dask scheduler`` on one machine and ``dask worker
tcp://SCHEDULER:8786 --nthreads 1 --nworkers N --preload bench.worker`` on each
of the others (N = its cores); on SLURM, PBS or Kubernetes use Dask's own deployers (dask-jobqueue,
dask-kubernetes) and pass the scheduler's address to ``--address``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def loopback_cluster(workers: int = 2, *, timeout: float = 90.0) -> Iterator[str]:
    """Start a scheduler and ``workers`` single-threaded worker processes on
    127.0.0.1; yield the scheduler's address (``tcp://127.0.0.1:PORT``); stop
    them all on exit. Raises ``TimeoutError`` if they are not up in ``timeout`` s."""
    from distributed import Client

    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    processes: list[subprocess.Popen] = []
    logs = []

    def spawn(log_name: str, *args: str) -> subprocess.Popen:
        log = open(folder / log_name, "w")  # noqa: SIM115 - closed below
        logs.append(log)
        process = subprocess.Popen(
            [sys.executable, "-m", "dask", *args, "--host", "127.0.0.1", "--no-dashboard"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        processes.append(process)
        return process

    with tempfile.TemporaryDirectory(prefix="tunebench-dask-") as scratch:
        folder = Path(scratch)
        try:
            scheduler_file = folder / "scheduler.json"
            scheduler = spawn(
                "scheduler.log", "scheduler", "--port", "0", "--scheduler-file", str(scheduler_file)
            )
            address = _wait_for_address(scheduler_file, scheduler, timeout)
            for index in range(workers):
                spawn(
                    f"worker-{index}.log", "worker", address, "--nthreads", "1", "--no-nanny",
                    "--preload", "bench.worker", "--local-directory", str(folder / f"worker-{index}"),
                )  # fmt: skip
            with Client(address, set_as_default=False, timeout=timeout) as client:
                client.wait_for_workers(workers, timeout=timeout)
            yield address
        finally:
            for process in reversed(processes):
                process.terminate()
            for process in reversed(processes):
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for log in logs:
                log.close()


def _wait_for_address(path: Path, scheduler: subprocess.Popen, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if scheduler.poll() is not None:
            raise RuntimeError(f"the Dask scheduler exited with status {scheduler.returncode}")
        try:
            return json.loads(path.read_text())["address"]
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            time.sleep(0.1)
    raise TimeoutError(f"no Dask scheduler address in {path} after {timeout:g} s")
