"""Each benchmark step runs in a process of its own, so its time and peak memory are its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent


def run_step(module: str, name: str, *, env: dict[str, str] | None = None, **options: Any) -> dict[str, Any]:
    """``python -m module --step name --option value …``; returns the JSON of its last output line."""
    argv = [sys.executable, "-m", module, "--step", name]
    for key, value in options.items():
        argv += [f"--{key}", str(value)]
    out = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if out.returncode != 0:
        raise SystemExit(f"step {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_polled(argv: list[str], failed: str) -> dict[str, Any]:
    """Run ``argv`` (a Python child printing JSON with ``peak_rss_mb`` last) and return that JSON, with the
    peak RSS the larger of what the child reports and what polling it from outside saw."""
    child = subprocess.Popen([sys.executable, *argv], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    proc, polled = psutil.Process(child.pid), 0
    while child.poll() is None:
        try:
            polled = max(polled, proc.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.02)
    out = child.stdout.read() if child.stdout else ""
    if child.returncode != 0:
        raise SystemExit(f"{failed}（{child.returncode}）")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = round(max(result["peak_rss_mb"], polled / 2**20), 1)
    return result


def wait_until(app: Any, condition: Callable[[], bool], timeout: float) -> None:
    """Run the Qt event loop until ``condition`` holds (the benches time what the user would see)."""
    end = time.perf_counter() + timeout
    while not condition():
        app.processEvents()
        if time.perf_counter() > end:
            raise TimeoutError
        time.sleep(0.0005)
