"""Desktop build benchmark (issue 7): build time, size of the one-folder build, and start-up time to
the unlock screen of the built program, against floors measured in the same run.

    .venv/bin/python -m bench.build_bench            # builds into a temporary folder (about 2 minutes)
    .venv/bin/python -m bench.build_bench --runs 7

Start-up is the wall time from spawning the process to the line ``startup-ms`` that the program
prints once the unlock screen has been drawn (``--measure-startup``; it quits right after). The
first run after the build is reported apart from the median of the following ones: the build has
just written every file, so even the first run reads from the OS file cache; a laptop's first start
after a reboot reads from disk and is slower. Floors: a bare PySide6 QApplication + QWidget script,
from source and frozen with the same PyInstaller. Under Xvfb when it is installed (the xcb plugin,
as on a desktop), offscreen otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"
BARE = """import sys
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication(sys.argv)
w = QWidget()
w.show()
w.repaint()
print("startup-ms 0", flush=True)
"""


def build(spec_or_script: Path, out: Path, *extra: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "PyInstaller", str(spec_or_script), "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(out / "dist"), "--workpath", str(out / "work"), *extra],
                   cwd=ROOT if spec_or_script.suffix == ".spec" else out, check=True, capture_output=True)
    return time.perf_counter() - started


def folder_size(path: Path) -> tuple[float, int]:
    """MiB and file count; the links PyInstaller makes to Qt's libraries are not counted twice."""
    files = [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files) / 2**20, len(files)


def biggest(path: Path, n: int = 6) -> list[tuple[str, float]]:
    inner = path / "_internal"
    sizes = [(p.name, folder_size(p)[0] if p.is_dir() else p.stat().st_size / 2**20)
             for p in inner.iterdir() if not p.is_symlink()]
    return sorted(sizes, key=lambda s: -s[1])[:n]


def time_to_line(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from spawn to the ``startup-ms`` line."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("startup-ms"):
            elapsed = time.perf_counter() - started
            proc.wait(timeout=30)
            return elapsed
    proc.wait(timeout=30)
    raise RuntimeError(f"{cmd[0]} ended without reaching the first screen (exit {proc.returncode})")


def starts(cmd: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    first = time_to_line(cmd, env)
    rest = [time_to_line(cmd, env) for _ in range(runs)]
    return {"first": first, "median": statistics.median(rest), "min": min(rest)}


def display_env(base: dict[str, str]) -> tuple[dict[str, str], subprocess.Popen | None]:
    if shutil.which("Xvfb"):
        xvfb = subprocess.Popen(["Xvfb", ":97", "-screen", "0", "1440x900x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        return {**base, "DISPLAY": ":97", "QT_QPA_PLATFORM": "xcb"}, xvfb
    return {**base, "QT_QPA_PLATFORM": "offscreen"}, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="start-ups after the first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fupin-build-bench-") as tmp:
        tmp = Path(tmp)
        results: dict = {"build_s": build(ROOT / "build.spec", tmp / "app")}
        app_dir = tmp / "app" / "dist" / "FupinDesktop"
        exe = app_dir / "FupinDesktop"
        bare_py = tmp / "bare" / "bare.py"
        bare_py.parent.mkdir()
        bare_py.write_text(BARE)
        results["bare_build_s"] = build(bare_py, tmp / "bare", "--onedir", "--name", "bare")
        bare_dir = tmp / "bare" / "dist" / "bare"
        results["size_mb"], results["files"] = folder_size(app_dir)
        results["bare_size_mb"], results["bare_files"] = folder_size(bare_dir)
        results["biggest"] = biggest(app_dir)

        data = tmp / "data"
        base = {**os.environ, "FUPIN_DATA_DIR": str(data), "FUPIN_PASSWORD": PASSWORD,
                "FUPIN_KDF_MEMORY_KIB": "8192", "FUPIN_KDF_ITERATIONS": "1"}
        store = data / "store"
        subprocess.run([str(exe), "demo", "--store", str(store), "--households", "300"], env=base, check=True,
                       capture_output=True)
        env, xvfb = display_env(base)
        try:
            results["platform"] = env["QT_QPA_PLATFORM"]
            results["frozen_app"] = starts([str(exe), "--store", str(store), "--measure-startup"], env, args.runs)
            results["frozen_bare"] = starts([str(bare_dir / "bare")], env, args.runs)
            results["source_app"] = starts([sys.executable, str(ROOT / "main.py"), "--store", str(store),
                                            "--measure-startup"], env, args.runs)
            results["source_bare"] = starts([sys.executable, str(bare_py)], env, args.runs)
        finally:
            if xvfb is not None:
                xvfb.terminate()
                xvfb.wait()
    results["frozen_ratio"] = results["frozen_app"]["median"] / results["frozen_bare"]["median"]
    results["source_ratio"] = results["source_app"]["median"] / results["source_bare"]["median"]
    print(json.dumps(results, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
