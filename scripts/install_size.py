"""What a fresh Linux x86_64 machine downloads to install tunebench
(``make install-size``): before and after torch's CPU build, package by package.

Both cases are resolved by ``pip install --dry-run --ignore-installed --report``
with pip's configuration ignored (``--isolated``, ``PIP_CONFIG_FILE`` set to the
null device, no ``PIP_*`` variables: no local wheel folder, no extra index),
binary wheels only, for this interpreter's CPython version on manylinux_2_28
x86_64, under the lock constraints.txt:

- before: ``.[EXTRAS]`` against PyPI alone (torch's CUDA build and its CUDA
  packages);
- after: the same with torch's CPU build: from PyTorch's CPU index when it is
  reachable, else from the local CPU wheel in ``--wheels`` (its size is that
  file's, and the output names it as the source), its dependencies from PyPI.

Sizes come from PyPI's JSON simple API (PEP 691), from a HEAD request for a
file on another index, from the file itself for a local wheel. Prints a
Markdown table (``--out`` also writes it) and exits 0, or 1 with a message when
a resolution or a size lookup fails. Must run on Linux x86_64: pip evaluates
environment markers for the running interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from install_torch import CPU_INDEX, PROBE_TIMEOUT, PYPI_INDEX, pinned_torch, probe_index

ROOT = Path(__file__).resolve().parent.parent
WHEELS = Path("/opt/wheels")
PYPI_FILES_HOST = "files.pythonhosted.org"
JSON_ACCEPT = "application/vnd.pypi.simple.v1+json"
HTTP_TIMEOUT = 30.0
MB = 1e6


@dataclass(frozen=True)
class Wheel:
    """One file a resolution downloads."""

    name: str
    version: str
    filename: str
    url: str


@dataclass(frozen=True)
class Case:
    """One resolved install: its wheels, their sizes in bytes (by url), a note, and
    the version of pip that resolved it."""

    label: str
    wheels: list[Wheel]
    sizes: Mapping[str, int]
    note: str
    pip: str = ""

    @property
    def total(self) -> int:
        """Bytes downloaded in all."""
        return sum(self.sizes[wheel.url] for wheel in self.wheels)


def wheels_of(report: Mapping) -> list[Wheel]:
    """The downloaded files of a ``pip --report`` document, in its order; the
    local project (a directory, built not downloaded) is left out."""
    wheels = []
    for item in report["install"]:
        info = item["download_info"]
        if "dir_info" in info:
            continue
        path = urllib.parse.urlsplit(info["url"]).path
        filename = urllib.parse.unquote(path.rsplit("/", 1)[-1])
        meta = item["metadata"]
        wheels.append(Wheel(meta["name"], meta["version"], filename, info["url"]))
    return wheels


def isolated_environment() -> dict[str, str]:
    """This process's environment without pip's variables and configuration files."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def target_options() -> list[str]:
    """pip options that select wheels for this CPython on manylinux_2_28 x86_64
    (a glibc 2.28 system accepts manylinux_2_5 ... manylinux_2_28)."""
    version = f"{sys.version_info.major}{sys.version_info.minor}"
    options = ["--only-binary=:all:", "--python-version", version]
    options += ["--implementation", "cp", "--abi", f"cp{version}"]
    for minor in range(28, 4, -1):
        options += ["--platform", f"manylinux_2_{minor}_x86_64"]
    for legacy in ("manylinux2014", "manylinux2010", "manylinux1"):
        options += ["--platform", f"{legacy}_x86_64"]
    return options


def resolve(requirements: list[str], indexes: list[str], constraints: Path) -> dict:
    """pip's ``--report`` of installing ``requirements`` into an empty environment
    from ``indexes`` (the first is the main index); RuntimeError if pip fails."""
    index_options = ["--index-url", indexes[0]]
    for extra in indexes[1:]:
        index_options += ["--extra-index-url", extra]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "pip", "install", "--isolated", "--quiet", "--dry-run"]
        command += ["--ignore-installed", "--report", str(report), "-c", str(constraints)]
        command += [*index_options, *target_options(), *requirements]
        done = subprocess.run(
            command, env=isolated_environment(), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"pip could not resolve {requirements}:\n{done.stderr.strip()}")
        return json.loads(report.read_text())


def _fetch(url: str, *, method: str = "GET", accept: str | None = None):
    """An open HTTP response (the caller closes it)."""
    headers = {"Accept": accept} if accept else {}
    request = urllib.request.Request(url, method=method, headers=headers)
    return urllib.request.urlopen(request, timeout=HTTP_TIMEOUT)


def pypi_sizes(project: str) -> dict[str, int]:
    """Every file of a PyPI project with its size in bytes, from the JSON simple API."""
    normalized = re.sub(r"[-_.]+", "-", project).lower()
    with _fetch(f"{PYPI_INDEX}/{normalized}/", accept=JSON_ACCEPT) as response:
        files = json.load(response)["files"]
    return {entry["filename"]: entry["size"] for entry in files if "size" in entry}


def size_of(wheel: Wheel, pypi: Mapping[str, Mapping[str, int]]) -> int:
    """The wheel's size in bytes: PyPI's figure, the local file's, or Content-Length."""
    parts = urllib.parse.urlsplit(wheel.url)
    if parts.scheme == "file":
        return Path(urllib.request.url2pathname(parts.path)).stat().st_size
    if parts.hostname == PYPI_FILES_HOST:
        sizes = pypi[wheel.name]
        if wheel.filename not in sizes:
            raise LookupError(f"PyPI lists no size for {wheel.filename}")
        return sizes[wheel.filename]
    with _fetch(wheel.url, method="HEAD") as response:
        length = response.headers.get("Content-Length")
    if length is None:
        raise LookupError(f"no Content-Length for {wheel.url}")
    return int(length)


def sizes_of(wheels: Iterable[Wheel]) -> dict[str, int]:
    """Each wheel's size in bytes, by url (PyPI's JSON pages fetched concurrently)."""
    wheels = list(wheels)
    names = sorted(
        {w.name for w in wheels if urllib.parse.urlsplit(w.url).hostname == PYPI_FILES_HOST}
    )
    with ThreadPoolExecutor(max_workers=8) as pool:
        pypi = dict(zip(names, pool.map(pypi_sizes, names)))
        sizes = pool.map(lambda wheel: size_of(wheel, pypi), wheels)
        return {wheel.url: size for wheel, size in zip(wheels, sizes)}


def measure(label: str, requirements: list[str], indexes: list[str], note: str) -> Case:
    """Resolve one case and size its wheels."""
    report = resolve(requirements, indexes, ROOT / "constraints.txt")
    wheels = wheels_of(report)
    return Case(label, wheels, sizes_of(wheels), note, report.get("pip_version", "?"))


def local_cpu_wheel(wheels_dir: Path, version: str) -> Path | None:
    """The local torch CPU wheel for this CPython on Linux x86_64, if there is one."""
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    found = sorted(wheels_dir.glob(f"torch-{version}+cpu-{tag}-{tag}-*x86_64.whl"))
    return found[0] if found else None


def after_case(
    project: str, version: str, cpu_index: str, wheels_dir: Path, timeout: float
) -> Case:
    """The install with torch's CPU build: from the CPU index when reachable, else
    the local CPU wheel; LookupError if neither is available."""
    reason = probe_index(cpu_index, timeout)
    if reason is None:
        note = f"torch's CPU build from {cpu_index}, its dependencies from PyPI."
        return measure("after", [project, f"torch=={version}+cpu"], [PYPI_INDEX, cpu_index], note)
    wheel = local_cpu_wheel(wheels_dir, version)
    if wheel is None:
        raise LookupError(
            f"the CPU index {cpu_index} is unreachable ({reason}) and {wheels_dir} holds no "
            f"torch {version}+cpu wheel: cannot size torch's CPU build"
        )
    note = (
        f"the CPU index {cpu_index} is unreachable ({reason}): torch's CPU wheel is sized from "
        f"the local file {wheel} (a local copy of the CPU wheel; its size on that index "
        "could not be checked from here), its dependencies resolved against PyPI."
    )
    return measure("after", [project, str(wheel)], [PYPI_INDEX], note)


def _cell(wheel: Wheel | None, sizes: Mapping[str, int]) -> list[str]:
    if wheel is None:
        return ["-", ""]
    megabytes = sizes[wheel.url] / MB
    return [f"`{wheel.filename}`", f"{megabytes:.1f}" if megabytes >= 0.05 else "< 0.1"]


def table(before: Case, after: Case) -> str:
    """The two cases side by side, one row per package, largest first, then totals."""
    first = {w.name.lower(): w for w in before.wheels}
    second = {w.name.lower(): w for w in after.wheels}

    def largest(name: str) -> int:
        pairs = ((first, before.sizes), (second, after.sizes))
        return max(sizes[found[name].url] for found, sizes in pairs if name in found)

    lines = ["| package | version | before: wheel | MB | after: wheel | MB |"]
    lines.append("| --- | --- | --- | ---: | --- | ---: |")
    for name in sorted(first.keys() | second.keys(), key=lambda n: (-largest(n), n)):
        old, new = first.get(name), second.get(name)
        versions = dict.fromkeys(w.version for w in (old, new) if w is not None)
        shown = (old or new).name
        row = [shown, " / ".join(versions), *_cell(old, before.sizes), *_cell(new, after.sizes)]
        lines.append("| " + " | ".join(row) + " |")
    lines.append(
        f"| **total** | | {len(before.wheels)} wheels | **{before.total / MB:.1f}** "
        f"| {len(after.wheels)} wheels | **{after.total / MB:.1f}** |"
    )
    return "\n".join(lines)


def document(before: Case, after: Case, extras: str) -> str:
    """The Markdown page: how it was measured, the table, the totals."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    ratio = before.total / after.total
    return "\n".join(
        [
            f"**What a fresh Linux x86_64 machine downloads for `.[{extras}]`**",
            "",
            f"Resolved by pip {before.pip} with its configuration ignored (`--isolated`, "
            "`PIP_CONFIG_FILE` on the null device, no `PIP_*` variables: no local wheel "
            "folder), `--dry-run --ignore-installed --report`, binary wheels for CPython "
            f"{python} on manylinux_2_28 x86_64, under the lock `constraints.txt`; "
            "`python scripts/install_size.py` (`make install-size`). MB = 10^6 bytes; "
            "sizes of PyPI files from PyPI's JSON simple API.",
            "",
            f"- before: {before.note}",
            f"- after: {after.note}",
            "",
            table(before, after),
            "",
            f"Before: {before.total / MB:.1f} MB in {len(before.wheels)} wheels. "
            f"After: {after.total / MB:.1f} MB in {len(after.wheels)} wheels "
            f"({ratio:.1f} times less).",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Measure both cases, print the page, write it to ``--out`` if given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--out", type=Path, help="also write the Markdown page here")
    parser.add_argument("--extras", default="gp", help="the project's extras (default: gp)")
    parser.add_argument("--cpu-index", default=CPU_INDEX, help="PyTorch's CPU package index")
    parser.add_argument("--wheels", type=Path, default=WHEELS, help="a local wheel folder")
    parser.add_argument("--probe-timeout", type=float, default=PROBE_TIMEOUT, metavar="SECONDS")
    args = parser.parse_args(argv)
    if sys.platform != "linux" or platform.machine() != "x86_64":
        print("install_size: run it on Linux x86_64 (pip evaluates markers here)", file=sys.stderr)
        return 2
    project = f"{ROOT}[{args.extras}]"
    version = pinned_torch(ROOT / "constraints.txt")
    try:
        note = "torch from PyPI alone: its CUDA build, with the CUDA packages it requires."
        before = measure("before", [project], [PYPI_INDEX], note)
        after = after_case(project, version, args.cpu_index, args.wheels, args.probe_timeout)
    except (RuntimeError, LookupError, OSError) as error:
        print(f"install_size: {error}", file=sys.stderr)
        return 1
    page = document(before, after, args.extras)
    print(page, end="")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
