"""Install torch, the version constraints.txt pins, into the running interpreter's
environment: its CPU build on Linux, where PyPI's wheel is the CUDA build.

Runs with the standard library alone (``make setup`` calls it before anything
else is installed). On Linux it first probes PyTorch's CPU index with a short
timeout; when that index is reachable, torch ``V+cpu`` comes from it (its
dependencies from PyPI); when not, one line says why and pip installs
``torch==V`` from its configured index with bounded retries and timeouts. On
macOS and Windows PyPI's wheels are CPU-only: a plain ``pip install``.
Exits 0 once torch is installed, else non-zero with a message.
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PYPI_INDEX = "https://pypi.org/simple"
PROBE_TIMEOUT = 5.0
FALLBACK_PIP_OPTIONS = ("--retries", "1", "--timeout", "15")


def pinned_torch(constraints: Path) -> str:
    """The version ``torch==V`` in the constraints file; ValueError if it pins none."""
    for line in constraints.read_text().splitlines():
        match = re.fullmatch(r"torch==([^\s;#]+)", line.split("#", 1)[0].strip())
        if match:
            return match.group(1)
    raise ValueError(f"{constraints} pins no torch version (no line 'torch==V')")


def _reason(error: BaseException, timeout: float) -> str:
    """A short human reason for a failed probe."""
    cause = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(cause, socket.gaierror):
        return "name does not resolve"
    if isinstance(cause, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    return str(cause) or type(cause).__name__


def probe_index(index: str, timeout: float = PROBE_TIMEOUT) -> str | None:
    """None if ``<index>/torch/`` answers with a success status within ``timeout``
    seconds, else the reason it is unreachable (DNS failure, refusal, timeout, HTTP
    error)."""
    url = index.rstrip("/") + "/torch/"
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return None
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code} for {url}"
    except (urllib.error.URLError, OSError) as error:
        return _reason(error, timeout)


def pip_command(version: str, constraints: Path, index: str | None, dry_run: bool) -> list[str]:
    """The pip command that installs torch: its CPU build from ``index`` when given,
    else ``torch==version`` from pip's configured index with bounded retries."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "-c", str(constraints)]
    if index is None:
        command += [*FALLBACK_PIP_OPTIONS, f"torch=={version}"]
    else:
        command += ["--index-url", index, "--extra-index-url", PYPI_INDEX]
        command.append(f"torch=={version}+cpu")
    return [*command, "--dry-run"] if dry_run else command


def choose_index(cpu_index: str, timeout: float) -> str | None:
    """The CPU index to install from, or None (pip's configured index). Prints one
    line saying which, and why when the CPU index is unreachable."""
    if not sys.platform.startswith("linux"):
        print(f"install_torch: {sys.platform}: PyPI's torch wheels are CPU-only; plain pip install")
        return None
    start = time.monotonic()
    reason = probe_index(cpu_index, timeout)
    seconds = time.monotonic() - start
    if reason is None:
        print(f"install_torch: torch's CPU build from {cpu_index}")
        return cpu_index
    print(
        f"install_torch: the CPU index {cpu_index} is unreachable ({reason}; probe took "
        f"{seconds:.2f} s): falling back to pip's configured index"
    )
    return None


def main(argv: list[str] | None = None) -> int:
    """Install torch; the exit status is pip's (0 on success)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--cpu-index", default=CPU_INDEX, help="PyTorch's CPU package index")
    parser.add_argument("--constraints", type=Path, default=ROOT / "constraints.txt")
    parser.add_argument("--probe-timeout", type=float, default=PROBE_TIMEOUT, metavar="SECONDS")
    parser.add_argument("--dry-run", action="store_true", help="pass --dry-run to pip")
    args = parser.parse_args(argv)
    try:
        version = pinned_torch(args.constraints)
    except (OSError, ValueError) as error:
        print(f"install_torch: {error}", file=sys.stderr)
        return 2
    index = choose_index(args.cpu_index, args.probe_timeout)
    command = pip_command(version, args.constraints, index, args.dry_run)
    status = subprocess.run(command, check=False).returncode
    if status != 0:
        source = index or "pip's configured index"
        print(
            f"install_torch: pip failed (exit {status}) installing torch {version} from {source}",
            file=sys.stderr,
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
