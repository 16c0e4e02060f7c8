"""What a fresh machine sees: `git clone` the committed code to an empty
folder (no `.venv`), run `make setup`, `make bench` and `make test` there in
turn, and time each. `make fresh-clone`.

The clone's default summary (results/default/report/summary.csv) is compared
value for value with the working copy's, when the working copy has one: equal
means a fresh machine reproduces the stored results. Each target's log is kept
in a temporary folder (its path is printed); the clone is deleted afterwards
unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = Path("results/default/report/summary.csv")
#: What each target's last telling line starts with (the others: the last line).
TELLING = {
    "setup": re.compile(r"^setup: .*"),
    "bench": re.compile(r"^complete: .*"),
    "test": re.compile(r"^=* ?\d+ (passed|failed).*"),
}


@dataclass(frozen=True)
class Timed:
    """One ``make`` target run in the clone: exit code, wall seconds, telling line."""

    target: str
    code: int
    seconds: float
    line: str


def run_target(clone: Path, target: str, logs: Path) -> Timed:
    """``make target`` in ``clone``, its output in ``logs/<target>.log``."""
    inherited = ("VIRTUAL_ENV", "PYTHONPATH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")
    env = {k: v for k, v in os.environ.items() if k not in inherited}
    log = logs / f"{target}.log"
    started = time.perf_counter()
    with log.open("w") as out:
        code = subprocess.run(
            ["make", target], cwd=clone, env=env, stdout=out, stderr=subprocess.STDOUT
        ).returncode
    seconds = time.perf_counter() - started
    return Timed(target, code, seconds, telling_line(target, log.read_text()))


def telling_line(target: str, text: str) -> str:
    """The line of ``text`` that says how ``target`` went (progress bars' carriage
    returns split lines too)."""
    lines = [line.strip() for line in re.split(r"[\r\n]+", text) if line.strip()]
    pattern = TELLING.get(target)
    matches = [line for line in lines if pattern and pattern.match(line)]
    return (matches or lines or ["(no output)"])[-1].strip("= ")


def same_summary(mine: Path, theirs: Path) -> str:
    """Whether two summary.csv files hold the same values, as a sentence."""
    if not mine.is_file():
        return f"the working copy has no {SUMMARY}: nothing to compare"
    if not theirs.is_file():
        return f"the clone wrote no {SUMMARY}"
    a, b = pd.read_csv(mine), pd.read_csv(theirs)
    if a.shape != b.shape or list(a.columns) != list(b.columns):
        return f"{SUMMARY} differs in shape: {a.shape} here, {b.shape} in the clone"
    differing = int((a.ne(b) & ~(a.isna() & b.isna())).to_numpy().sum())
    if differing:
        return f"{SUMMARY} differs from the working copy's in {differing} values"
    return f"{SUMMARY} identical, value for value, to the working copy's ({len(a)} rows)"


def minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60} s" if whole >= 60 else f"{seconds:.1f} s"


def report(commit: str, dirty: bool, timed: list[Timed], summary: str | None) -> str:
    """The Markdown output: what ran where, a table of the targets, the comparison."""
    cores = len(os.sched_getaffinity(0))
    lines = [
        f"`make fresh-clone` on {date.today().isoformat()}: a `git clone` of commit "
        f"{commit[:7]}{' (the working copy had uncommitted changes, not in the clone)' if dirty else ''}"
        f" with no `.venv`, python {platform.python_version()}, {platform.machine()}, "
        f"{cores} cores; each target run in turn.",
        "",
        "| target | exit | wall | how it ended |",
        "| --- | --- | --- | --- |",
    ]
    for t in timed:
        lines.append(f"| `make {t.target}` | {t.code} | {minutes(t.seconds)} | {t.line} |")
    total = sum(t.seconds for t in timed)
    lines += ["", f"All targets: {minutes(total)}."]
    if summary is not None:
        lines.append(f"`make bench` in the clone: {summary}.")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", default="setup,bench,test", help="comma-separated")
    parser.add_argument("--out", type=Path, help="also write the Markdown output here")
    parser.add_argument("--keep", action="store_true", help="keep the clone")
    args = parser.parse_args()
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    dirty = bool(
        subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
        ).stdout.strip()
    )
    clone = Path(tempfile.mkdtemp(prefix="tunebench-fresh-"))
    logs = Path(tempfile.mkdtemp(prefix="tunebench-fresh-logs-"))
    print(f"cloning into {clone}; logs in {logs}", flush=True)
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone / "tunebench")], check=True)
    timed = []
    for target in args.targets.split(","):
        timed.append(run_target(clone / "tunebench", target, logs))
        print(f"make {target}: exit {timed[-1].code}, {minutes(timed[-1].seconds)}", flush=True)
    summary = None
    if "bench" in args.targets.split(","):
        summary = same_summary(ROOT / SUMMARY, clone / "tunebench" / SUMMARY)
    text = report(commit.strip(), dirty, timed, summary)
    print(text, end="")
    if args.out:
        args.out.write_text(text)
    if not args.keep:
        shutil.rmtree(clone)
    return max(t.code for t in timed) if timed else 0


if __name__ == "__main__":
    sys.exit(main())
