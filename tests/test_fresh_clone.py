"""scripts/fresh_clone.py's reading of what a fresh clone printed and wrote
(the clone itself is `make fresh-clone`, minutes long, not a test)."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(SCRIPTS))
    return importlib.import_module("fresh_clone")


def test_the_telling_line_is_pytests_summary_or_the_suites_last_word(fresh):
    log = "collected\n.....\n==== 2 failed, 1519 passed, 22 skipped in 428.22s (0:07:08) ====\n"
    assert (
        fresh.telling_line("test", log) == "2 failed, 1519 passed, 22 skipped in 428.22s (0:07:08)"
    )
    bench = "suite default\r10/480 runs\r480/480 runs\ncomplete: 480 runs ran in 5.0s\nreport ok\n"
    assert fresh.telling_line("bench", bench) == "complete: 480 runs ran in 5.0s"
    setup = "pip ...\nsetup: .venv holds 87 packages for python 3.11.7\n"
    assert fresh.telling_line("setup", setup) == "setup: .venv holds 87 packages for python 3.11.7"
    assert fresh.telling_line("lint", "a\nlast\n") == "last"
    assert fresh.telling_line("lint", "") == "(no output)"


def test_summaries_are_compared_value_for_value(fresh, tmp_path):
    frame = pd.DataFrame({"strategy": ["a", "b"], "median": [0.5, float("nan")]})
    mine, theirs = tmp_path / "mine.csv", tmp_path / "theirs.csv"
    frame.to_csv(mine, index=False)
    frame.to_csv(theirs, index=False)
    assert "identical" in fresh.same_summary(mine, theirs)
    frame.loc[0, "median"] = 0.25
    frame.to_csv(theirs, index=False)
    assert "differs from the working copy's in 1 values" in fresh.same_summary(mine, theirs)
    assert "wrote no" in fresh.same_summary(mine, tmp_path / "absent.csv")
    assert "nothing to compare" in fresh.same_summary(tmp_path / "absent.csv", theirs)
