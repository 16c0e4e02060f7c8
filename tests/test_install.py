"""The set-up's torch installer and install-size measure (scripts/install_torch.py,
scripts/install_size.py): the CPU index's fallback with real processes, and the
parsing of pip's install report. No test needs the internet."""

from __future__ import annotations

import functools
import http.server
import importlib
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
INSTALL_TORCH = SCRIPTS / "install_torch.py"


@pytest.fixture
def scripts(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    monkeypatch.syspath_prepend(str(SCRIPTS))
    return {name: importlib.import_module(name) for name in ("install_torch", "install_size")}


def run_installer(cpu_index: str) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(INSTALL_TORCH), "--cpu-index", cpu_index, "--dry-run"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done, time.monotonic() - start


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the CPU index is probed on Linux")
@pytest.mark.parametrize(
    ("cpu_index", "reason"),
    [
        ("http://127.0.0.1:9/", "connection refused"),
        ("http://tunebench-unreachable.invalid/", "name does not resolve"),
    ],
)
def test_an_unreachable_cpu_index_falls_back_within_seconds(cpu_index: str, reason: str) -> None:
    done, seconds = run_installer(cpu_index)
    assert done.returncode == 0, done.stdout + done.stderr
    assert seconds < 120
    line = re.search(
        r"^install_torch: the CPU index (\S+) is unreachable \((.+)\)", done.stdout, re.M
    )
    assert line, done.stdout
    assert line.group(1) == cpu_index
    assert reason in line.group(2)
    assert "falling back to pip's configured index" in done.stdout
    probe = re.search(r"probe took ([0-9.]+) s", done.stdout)
    assert probe and float(probe.group(1)) < 10, done.stdout
    assert "Traceback" not in done.stderr


class _Index(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the CPU index is probed on Linux")
def test_a_reachable_cpu_index_is_used(tmp_path: Path) -> None:
    (tmp_path / "torch").mkdir()
    (tmp_path / "torch" / "index.html").write_text("<!DOCTYPE html><html><body></body></html>")
    handler = functools.partial(_Index, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        index = f"http://127.0.0.1:{server.server_address[1]}/"
        try:
            done, _ = run_installer(index)
        finally:
            server.shutdown()
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"install_torch: torch's CPU build from {index}" in done.stdout
    assert "unreachable" not in done.stdout


def test_the_pinned_torch_version_is_read_from_the_constraints(
    scripts: dict[str, ModuleType], tmp_path: Path
) -> None:
    pinned_torch = scripts["install_torch"].pinned_torch
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(
        "# the lock\ntorchvision==0.29.1\ntorch==2.13.0  # CPU here\nzipp==4.1.2\n"
    )
    assert pinned_torch(constraints) == "2.13.0"
    constraints.write_text("numpy==2.4.6\n")
    with pytest.raises(ValueError, match="pins no torch version"):
        pinned_torch(constraints)


def _item(name: str, version: str, url: str, **info: object) -> dict:
    return {"metadata": {"name": name, "version": version}, "download_info": {"url": url, **info}}


def test_a_pip_report_is_read_into_wheels_and_summed(
    scripts: dict[str, ModuleType], tmp_path: Path
) -> None:
    size = scripts["install_size"]
    wheel = tmp_path / "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
    wheel.write_bytes(b"x" * 1_500_000)
    pypi = "https://files.pythonhosted.org/packages/ab/cd"
    report = {
        "install": [
            _item("tunebench", "0.1.0", "file:///work/main", dir_info={"editable": False}),
            _item("torch", "2.13.0+cpu", wheel.as_uri(), archive_info={}),
            _item("numpy", "2.4.6", f"{pypi}/numpy-2.4.6-cp311-cp311-manylinux_2_28_x86_64.whl"),
            _item("zipp", "4.1.2", f"{pypi}/zipp-4.1.2-py3-none-any.whl"),
        ]
    }
    wheels = size.wheels_of(report)
    assert [(w.name, w.version) for w in wheels] == [
        ("torch", "2.13.0+cpu"),
        ("numpy", "2.4.6"),
        ("zipp", "4.1.2"),
    ]
    assert wheels[0].filename == wheel.name
    assert wheels[0].url == wheel.as_uri()
    assert size.size_of(wheels[0], {}) == 1_500_000
    listed = {"numpy": {wheels[1].filename: 16_900_000}, "zipp": {wheels[2].filename: 10_000}}
    assert size.size_of(wheels[1], listed) == 16_900_000
    with pytest.raises(LookupError, match="no size"):
        size.size_of(wheels[2], {"zipp": {}})

    sizes = {w.url: size.size_of(w, listed) for w in wheels}
    after = size.Case("after", wheels, sizes, "the CPU wheel")
    before = size.Case("before", wheels[1:], sizes, "PyPI alone")
    assert after.total == 1_500_000 + 16_900_000 + 10_000
    assert before.total == 16_910_000
    table = size.table(before, after)
    rows = table.splitlines()
    assert rows[2].startswith("| numpy | 2.4.6 | `numpy-2.4.6-")
    assert rows[3].startswith("| torch | 2.13.0+cpu | - |")
    assert rows[-1] == "| **total** | | 2 wheels | **16.9** | 3 wheels | **18.4** |"
