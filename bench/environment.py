"""The environment a benchmark ran in, for the manifest."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

#: Distributions whose versions every manifest records.
PACKAGES = (
    "tunebench",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "optuna",
    "hyperopt",
    "scikit-optimize",
    "cmaes",
    "torch",
    "greenlet",
    "matplotlib",
    "seaborn",
    "dask",
    "distributed",
    "tqdm",
    "threadpoolctl",
)


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """Installed versions (None for a distribution that is not installed)."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_state(directory: Path) -> dict[str, Any] | None:
    """The commit of the checkout holding ``directory`` and whether it has edits."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=directory,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": commit, "dirty": bool(status.strip())}


def cpu_model() -> str | None:
    """The processor's model name (Linux ``/proc/cpuinfo``), None where unknown:
    linear algebra kernels differ by CPU, so the last bits of a run may too."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or None
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else (platform.processor() or None)


def environment() -> dict[str, Any]:
    """Python, platform, CPU model and count, package versions and the code's git state."""
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu_model(),
        "cpus": os.cpu_count(),
        "packages": package_versions(),
        "git": git_state(Path(__file__).resolve().parent),
    }
