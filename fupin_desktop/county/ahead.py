"""Building a device's next down packages while it applies the one it was just served (HTTP).

A device pulls one package at a time and applies each before it asks for the next; without this the
county's building and the device's applying take turns, although each side has a core of its own.
After a package is served, a thread for that device builds the following ones and keeps them (the
request path then finds them kept, as a retry does), a few ahead of what the device has applied.
Each is built exactly as ``next_for`` builds on demand: its own transaction, the device row locked,
so a request that comes meanwhile waits for the row and then finds the package kept. Nothing in the
protocol or the packages changes; when no thread runs, the request path builds on demand as before.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from sqlalchemy import Engine

from ..logs import exception_summary
from ..sync.device import schema_revision
from .down import _locked, build_next
from .keys import CountyKeys

log = logging.getLogger(__name__)

# Kept-but-unapplied packages beyond the one just served: one is enough while building is faster than
# applying (a township: 0.2 s against 0.5 s a package); two absorb a slow package. 0: no build-ahead.
AHEAD = int(os.environ.get("FUPIN_DOWN_AHEAD", "2"))
# Threads over all devices: each takes a connection and a core's worth of Python while it builds.
# Beyond them, a device's packages are built on demand, as without build-ahead.
THREADS = 4
# A thread whose device stops asking (a cut, a closed laptop) gives its place up after this long.
IDLE_SECONDS = 120.0
STOP_SECONDS = 30.0  # at shutdown, how long to wait for a package being built to be committed


class _Run:
    def __init__(self) -> None:
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None


class BuildAhead:
    """The build-ahead threads of one server: at most one per device, at most ``threads`` in all."""

    def __init__(self, engine: Engine, keys: CountyKeys, *, ahead: int = AHEAD, threads: int = THREADS,
                 idle: float = IDLE_SECONDS) -> None:
        # PostgreSQL only: the thread and a request building the same number are kept apart by the
        # device row's lock, and SQLite has no row lock (FOR UPDATE is left out): there both could read
        # the same cursor and build the same package. A SQLite county is one machine with few devices.
        if engine.dialect.name != "postgresql":
            ahead = 0
        self.engine, self.keys, self.ahead, self.threads, self.idle = engine, keys, ahead, threads, idle
        self._lock = threading.Lock()
        self._runs: dict[str, _Run] = {}
        self._stopping = threading.Event()

    def served(self, device_id: str) -> None:
        """A package was served to the device: build its next ones (or wake the thread that does)."""
        if self.ahead <= 0:
            return
        with self._lock:
            if self._stopping.is_set():
                return
            run = self._runs.get(device_id)
            if run is not None:
                run.wake.set()
                return
            if len(self._runs) >= self.threads:
                return
            run = self._runs[device_id] = _Run()
            run.thread = threading.Thread(target=self._run, args=(device_id, run), daemon=True,
                                          name=f"down-ahead-{device_id[:8]}")
            run.thread.start()

    def running(self) -> int:
        with self._lock:
            return len(self._runs)

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """No new threads; the running ones end after the package they are building (committed or not)."""
        with self._lock:
            self._stopping.set()
            runs = list(self._runs.values())
        for run in runs:
            run.wake.set()
        deadline = time.monotonic() + timeout  # for all of them: they end at once, each after its package
        for run in runs:
            if run.thread is not None:
                run.thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self, device_id: str, run: _Run) -> None:
        try:
            self._build(device_id, run)
        except Exception as exc:  # noqa: BLE001 - the next request builds on demand; the server goes on
            # type and code position only: a database error's message can quote the records
            log.error("down build-ahead stopped: %s", exception_summary(exc))
        finally:
            with self._lock:
                if self._runs.get(device_id) is run:
                    del self._runs[device_id]

    def _build(self, device_id: str, run: _Run) -> None:
        # ``sent``: the records that others point to which this run's packages carried, so their parents
        # are not looked up again (most of a township's build). Safe only within one run of consecutive
        # packages of one device: the device applies them in order (a gap is held until it is filled),
        # so by the time it applies a package of this run it holds every earlier one's records. A package
        # the request path builds in between is not in ``sent``: its parents are only looked up again.
        # A build that fails ends the run: ``sent`` may then name records of a package rolled back.
        sent: set[tuple[str, str]] = set()
        schema = schema_revision()
        while not self._stopping.is_set():
            run.wake.clear()  # a request from here on wakes the wait below
            with self.engine.begin() as conn:
                device: Any = _locked(conn, device_id)
                if device.status != "active":
                    return
                full = device.down_number - device.down_applied > self.ahead  # the served one and ``ahead``
                if not full and build_next(conn, self.keys, device, schema, sent) is None:
                    return  # it has everything: a later change starts a new run with its next request
            if full and not run.wake.wait(self.idle):
                with self._lock:  # given up under the lock: a request either wakes this run or starts one
                    if not run.wake.is_set():
                        del self._runs[device_id]
                        return


__all__ = ["BuildAhead"]
