"""Tamper with a results folder and with a copy of the code, and show that
tunebench notices each tamper (``make tamper``).

Runs a small suite with a copy of the code in a temporary folder, then, one at
a time: damages, edits, truncates and deletes run files, corrupts the
manifest, narrows the budget, edits a module one strategy imports and a
harness module. After each tamper it runs ``python -m bench report`` and
``python -m bench run`` as a user would and reads what they say. Prints a
Markdown table (tamper, what ``report`` said, what ``run`` did) and exits 1 if
any tamper went unnoticed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
SUITE = """
description = "tamper check"
strategies = ["random", "tpe"]
objectives = ["branin"]
seeds = 2
budget = 6
"""


@dataclass
class Check:
    tamper: str
    report: str
    run: str
    detected: bool


class Sandbox:
    """A copy of the code, a suite and its results folder."""

    def __init__(self, where: Path):
        self.code = where / "code"
        for package in ("bench", "strategies", "objectives"):
            shutil.copytree(ROOT / package, self.code / package,
                            ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        self.suite = where / "tamper.toml"
        self.suite.write_text(SUITE)
        self.results = where / "results"
        self.folder = self.results / "tamper"

    def bench(self, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(self.code)}
        return subprocess.run(
            [sys.executable, "-m", "bench", *args], cwd=self.code, env=env,
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip

    def run(self, *extra: str) -> subprocess.CompletedProcess:
        return self.bench("run", str(self.suite), "--results", str(self.results), "--jobs", "1", *extra)  # fmt: skip

    def report(self) -> subprocess.CompletedProcess:
        return self.bench("report", str(self.folder))

    def files(self) -> list[Path]:
        return sorted((self.folder / "runs").rglob("*.parquet"))


def said(done: subprocess.CompletedProcess, *patterns: str) -> str:
    """The first line of the output matching one of ``patterns``, trimmed."""
    for line in (done.stderr + done.stdout).splitlines():
        if any(re.search(p, line) for p in patterns):
            return _trim(line.strip())
    return f"(nothing to report, exit {done.returncode})"


def _trim(text: str, limit: int = 150) -> str:
    text = re.sub(r"/\S*/(tamper|results|code)/", r".../\1/", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def flip_data_byte(path: Path) -> None:
    meta = pq.read_metadata(path)
    column = meta.row_group(0).column(meta.schema.names.index("value"))
    data = bytearray(path.read_bytes())
    data[column.data_page_offset + column.total_compressed_size - 2] ^= 0xFF
    path.write_bytes(bytes(data))


def edit_metadata(path: Path) -> None:
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"tunebench"])
    meta["optimum"] = 0.0
    pq.write_table(table.replace_schema_metadata({b"tunebench": json.dumps(meta).encode()}), path)


def edit_values(path: Path) -> None:
    table = pq.read_table(path)
    frame = table.to_pandas()
    frame["value"] = frame["value"] - 1.0
    import pyarrow as pa

    edited = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(edited.replace_schema_metadata(table.schema.metadata), path)


def append_line(path: Path) -> None:
    with path.open("a") as handle:
        handle.write("\n# tampered\n")


def tampers(box: Sandbox) -> list[tuple[str, Callable[[], None]]]:
    first = lambda: box.files()[0]  # noqa: E731
    return [
        ("flip one byte in a run file's data pages (footer intact)", lambda: flip_data_byte(first())),
        ("edit a run file's metadata (the optimum), keep its rows", lambda: edit_metadata(first())),
        ("rewrite a run file's values, keep its metadata and checksum", lambda: edit_values(first())),
        ("truncate a run file to half its size", lambda: first().write_bytes(first().read_bytes()[:600])),
        ("delete a run file", lambda: first().unlink()),
        ("leave a half-written manifest (a killed write)", lambda: (box.folder / ".manifest.x1.tmp").write_text("{")),
        ("edit a module only tpe imports (strategies/_optuna_space.py)", lambda: append_line(box.code / "strategies" / "_optuna_space.py")),
        ("edit a harness module on the trial path (bench/space.py)", lambda: append_line(box.code / "bench" / "space.py")),
        ("edit the objective's module (objectives/synthetic.py)", lambda: append_line(box.code / "objectives" / "synthetic.py")),
    ]  # fmt: skip


REPORT_SAYS = (r"left out", r"damaged", r"stale", r"error", r"no usable stored result")
RUN_SAYS = (r"to run \(", r"kept beside", r"recomputing", r"error:", r"stored, 0 to run")


def check(box: Sandbox, name: str, tamper: Callable[[], None]) -> Check:
    tamper()
    report = box.report()
    run = box.run()
    again = box.run()
    settled = "stored, 0 to run" in again.stderr and again.returncode == 0
    noticed = run.returncode == 0 and re.search(r"\d+ to run \((?!$)", run.stderr) is not None
    leftover = list(box.folder.glob(".manifest.*.tmp"))
    if "manifest" in name:
        noticed = not leftover and run.returncode == 0
    run_said = said(run, r"to run \(") if "manifest" not in name else (
        "temporary file removed" if not leftover else "temporary file still there")  # fmt: skip
    details = said(run, r"kept beside", r"recomputing")
    if details.startswith("(nothing"):
        details = ""
    return Check(
        name,
        said(report, *REPORT_SAYS),
        f"{run_said}{'; ' + details if details else ''}",
        bool(noticed and settled),
    )


def corrupt_manifest(box: Sandbox) -> Check:
    manifest = box.folder / "manifest.json"
    text = manifest.read_text()
    manifest.write_text(text[: len(text) // 2])
    report, run = box.report(), box.run()
    manifest.write_text(text)
    return Check(
        "cut manifest.json in half",
        said(report, r"error"),
        said(run, r"error"),
        report.returncode == 2 and run.returncode == 2,
    )


def narrow_budget(box: Sandbox) -> Check:
    before = {p: p.read_bytes() for p in box.files()}
    run = box.run("--budget", "3")
    report = box.report()
    untouched = all(p.read_bytes() == content for p, content in before.items())
    return Check(
        "run the suite again with a smaller --budget",
        said(report, r"left out"),
        said(run, r"to run \(")
        + ("; the wider runs are untouched" if untouched else "; OVERWRITTEN"),
        untouched and run.returncode == 0,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, help="also write the table here (make publish shows it)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tunebench-tamper-") as where:
        box = Sandbox(Path(where))
        first = box.run()
        if first.returncode != 0:
            sys.stderr.write(first.stderr)
            return 1
        checks = [check(box, name, tamper) for name, tamper in tampers(box)]
        checks += [corrupt_manifest(box), narrow_budget(box)]
    lines = ["| tamper | `report` says | `run` does | noticed |", "| --- | --- | --- | --- |"]
    for c in checks:
        cells = [c.tamper, c.report, c.run, "yes" if c.detected else "NO"]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    missed = [c.tamper for c in checks if not c.detected]
    lines.append(f"\n{len(checks) - len(missed)} of {len(checks)} tampers noticed")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out:
        args.out.write_text(text)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
