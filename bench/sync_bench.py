"""Sync benchmark (issue 5): packaging, county import throughput on PostgreSQL against an executemany
floor measured in the same run, a "county morning", concurrent uploads to the real server, and the
importer's peak memory for packages near the size limit.

    bash -c 'source scripts/postgres.sh; .venv/bin/python -m bench.sync_bench'
    .venv/bin/python -m bench.sync_bench --pg-url postgresql://user:pw@host/db   # any database it may use

Needs a PostgreSQL role that may create databases (scripts/postgres.sh makes one); each step runs
in a fresh database that is dropped afterwards. Imports run in a child process so that their time
and peak RSS are their own. Device stores use a cheap KDF: the store's unlock cost is not measured here.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from bench.steps import run_polled

os.environ.setdefault("FUPIN_TEST_SUITE", "weak-keys-for-the-test-suite-only")  # cheap KDF (store/kdf.py)
os.environ.setdefault("FUPIN_KDF_MEMORY_KIB", "8192")
os.environ.setdefault("FUPIN_KDF_ITERATIONS", "1")
os.environ.setdefault("FUPIN_UNLOCK_DELAY", "0")

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"
PASSPHRASE = "bench-county-passphrase-1"
TOWNSHIP = "520102003"


# ---- databases and stores --------------------------------------------------------------------
@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text

    name = f"fupin_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n "
                              "AND usename = current_user"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def new_county(url: str) -> tuple[Any, Any]:
    from fupin_desktop.county.db import open_county_db
    from fupin_desktop.county.keys import init_county

    engine = open_county_db(url, PASSPHRASE)
    return engine, init_county(engine, name="基准县", passphrase=PASSPHRASE)


def new_device(folder: Path, engine: Any, keys: Any, village: str, *, min_entries: int, seed: int) -> Any:
    """An enrolled village store with at least ``min_entries`` unsent change-log entries of demo households."""
    from sqlalchemy import text

    from fupin_desktop.county.devices import issue_enrollment
    from fupin_desktop.demo import generate
    from fupin_desktop.services.households import create_households
    from fupin_desktop.services.uow import UnitOfWork
    from fupin_desktop.store.store import Store
    from fupin_desktop.sync.device import enroll

    store, _ = Store.create(folder / village / uuid.uuid4().hex[:6], village_code=village, village_name="基准村",
                            username="admin", password=PASSWORD)
    issue_enrollment(engine, keys, village_code=village, label=f"{village}-{seed}", out=folder / f"{seed}.fupinenroll")
    enroll(store, folder / f"{seed}.fupinenroll")
    from fupin_desktop.model import Helper

    households = generate(1_000_000, seed=seed, village_code=village)
    seen_helpers: set[str] = set()
    while True:
        with store.engine.connect() as conn:
            have = conn.execute(text("SELECT count(*) FROM change_log WHERE sync_state = '未发送'")).scalar()
        if have >= min_entries:
            return store
        batch = [next(households) for _ in range(max(1, min(300, (min_entries - have) // 15)))]
        helpers = {h["id"]: dict(h) for b in batch for h in b.helpers.values() if h["id"] not in seen_helpers}
        seen_helpers.update(helpers)
        with UnitOfWork(store, check=False) as uow:
            uow.insert_many(Helper, list(helpers.values()), trusted=True)
            create_households(uow, batch, trusted=True)


def outbox_files(store: Any, folder: Path, limit: int | None = None) -> list[Path]:
    from sqlalchemy import select

    from fupin_desktop.model import SyncOutbox

    folder.mkdir(parents=True, exist_ok=True)
    with store.engine.connect() as conn:
        rows = conn.execute(select(SyncOutbox.number, SyncOutbox.data).order_by(SyncOutbox.number).limit(limit)).all()
    paths = []
    for number, data in rows:
        path = folder / f"{store.device_id[:8]}-{number:06d}.fupinpkg"
        path.write_bytes(data)
        paths.append(path)
    return paths


def village_code(i: int) -> str:
    return f"{TOWNSHIP}{i + 1:03d}"


# ---- the importer in a child process -----------------------------------------------------------
def child_import(url: str, paths: list[Path]) -> dict[str, Any]:
    """Run the county importer on ``paths`` in a fresh process: its seconds, statuses and peak RSS."""
    listing = Path(tempfile.mkstemp(suffix=".txt")[1])
    listing.write_text("\n".join(map(str, paths)))
    try:
        return run_polled(["-m", "bench.sync_bench", "--child-import", url, str(listing)], "导入子进程失败")
    finally:
        listing.unlink()


def _child_main(url: str, listing: str) -> None:
    from fupin_desktop.county.db import open_county_db
    from fupin_desktop.county.importer import import_files
    from fupin_desktop.county.keys import load_county

    paths = [Path(p) for p in Path(listing).read_text().splitlines()]
    engine = open_county_db(url, PASSPHRASE)
    keys = load_county(engine, PASSPHRASE)
    start = time.perf_counter()
    reports = import_files(engine, keys, paths)
    seconds = time.perf_counter() - start
    statuses: dict[str, int] = {}
    for r in reports:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    entries = sum(r.counts.created + r.counts.updated + r.counts.unchanged + r.counts.conflicts for r in reports)
    print(json.dumps({"seconds": seconds, "entries": entries, "statuses": statuses,
                      "peak_rss_mb": _high_water_mb()}))


def _high_water_mb() -> float:
    """This process's peak RSS since exec (VmHWM). ru_maxrss would include the parent's size at fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- steps ---------------------------------------------------------------------------------------
def step_packaging(admin: str, tmp: Path, entries: int) -> dict[str, Any]:
    from sqlalchemy import text

    from fupin_desktop.sync.device import pack_pending

    with fresh_database(admin) as url:
        engine, keys = new_county(url)
        store = new_device(tmp, engine, keys, village_code(0), min_entries=entries, seed=1)
        with store.engine.begin() as conn:  # exactly ``entries`` to pack
            conn.execute(text("UPDATE change_log SET sync_state = '已确认' WHERE seq > :n"), {"n": entries})
        times = []
        for _ in range(3):
            start = time.perf_counter()
            [package_id] = pack_pending(store)
            times.append(time.perf_counter() - start)
            with store.engine.begin() as conn:
                size = conn.execute(text("SELECT length(data) FROM sync_outbox")).scalar()
                conn.execute(text("DELETE FROM sync_outbox"))
                conn.execute(text("UPDATE change_log SET sync_state = '未发送' WHERE seq <= :n"), {"n": entries})
        store.close()
        engine.dispose()
    return {"entries": entries, "seconds": round(statistics.median(times), 3), "package_kb": size // 1024,
            "goal_seconds": 1.0}


def _floor(url: str) -> dict[str, Any]:
    """The same record rows, a plain psycopg executemany into the same table, one transaction."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT entity, entity_id, household_id, village_code, data, versions, deleted, "
                            "updated_at FROM record").fetchall()
        conn.execute("TRUNCATE record")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO record (entity, entity_id, household_id, village_code, data, versions, "
                            "deleted, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
        conn.commit()
        seconds = time.perf_counter() - start
    return {"rows": len(rows), "seconds": seconds}


def step_throughput(admin: str, tmp: Path, entries: int, reps: int = 3) -> dict[str, Any]:
    """The same packages imported ``reps`` times, each into a fresh database followed by its floor; medians."""
    from fupin_desktop.sync.device import pack_pending

    with fresh_database(admin) as source:
        engine, keys = new_county(source)
        store = new_device(tmp, engine, keys, village_code(1), min_entries=entries, seed=2)
        pack_pending(store)
        paths = outbox_files(store, tmp / "throughput")
        store.close()
        engine.dispose()
        runs = []
        for _ in range(reps):
            with fresh_database(admin) as url:
                _copy_county(source, url)
                result = child_import(url, paths)
                floor = _floor(url)
            rate, floor_rate = result["entries"] / result["seconds"], floor["rows"] / floor["seconds"]
            runs.append({"seconds": result["seconds"], "rate": rate, "floor_seconds": floor["seconds"],
                         "floor_rate": floor_rate, "ratio": rate / floor_rate, "rss": result["peak_rss_mb"],
                         "statuses": result["statuses"], "entries": result["entries"]})
    med = {key: statistics.median(r[key] for r in runs) for key in ("seconds", "rate", "floor_seconds",
                                                                    "floor_rate", "ratio")}
    return {"packages": len(paths), "entries": runs[0]["entries"], "runs": reps,
            "seconds": round(med["seconds"], 2), "entries_per_s": round(med["rate"]),
            "entries_per_s_each": [round(r["rate"]) for r in runs], "floor_seconds": round(med["floor_seconds"], 2),
            "floor_rows_per_s": round(med["floor_rate"]), "ratio": round(med["ratio"], 3),
            "ratio_each": [round(r["ratio"], 3) for r in runs], "peak_rss_mb": max(r["rss"] for r in runs),
            "statuses": runs[0]["statuses"], "goal": "≥ 25 % of the floor and ≥ 10,000 entries/s"}


def step_morning(admin: str, tmp: Path, devices: int, packages: int, size: int, uploads: int) -> dict[str, Any]:
    from fupin_desktop.sync.device import pack_pending

    with fresh_database(admin) as url:
        engine, keys = new_county(url)
        per_device: list[list[Path]] = []
        for i in range(devices):
            store = new_device(tmp, engine, keys, village_code(i % 40 + 2), min_entries=packages * size, seed=100 + i)
            pack_pending(store, max_entries=size)
            per_device.append(outbox_files(store, tmp / "morning", limit=packages))
            store.close()
        engine.dispose()
        # Packages arrive mixed: each device's in order, the devices interleaved.
        arrival = [p for group in zip(*per_device) for p in group]
        result = child_import(url, arrival)
        with fresh_database(admin) as upload_url:
            upload = _concurrent_uploads(url, upload_url, [group[0] for group in per_device[:uploads]], tmp)
    return {"packages": len(arrival), "entries_per_package": size, "devices": devices,
            "seconds": round(result["seconds"], 2), "statuses": result["statuses"],
            "entries_per_s": round(result["entries"] / result["seconds"]), "peak_rss_mb": result["peak_rss_mb"],
            "goal_seconds": 30, "uploads": upload}


def _copy_county(source_url: str, target_url: str) -> None:
    """The same county (keys, unused enrollments) in an empty database, for the upload run."""
    from sqlalchemy import insert, select

    from fupin_desktop.county.db import open_county_db
    from fupin_desktop.county.model import CountyMeta, Enrollment

    source, target = open_county_db(source_url, PASSPHRASE), open_county_db(target_url, PASSPHRASE)
    with source.connect() as conn:
        meta = [dict(r._mapping) for r in conn.execute(select(CountyMeta.__table__))]
        tokens = [{**r._mapping, "device_id": None} for r in conn.execute(select(Enrollment.__table__))]
    with target.begin() as conn:
        conn.execute(insert(CountyMeta), meta)
        conn.execute(insert(Enrollment), tokens)
    source.dispose()
    target.dispose()


def _concurrent_uploads(source_url: str, url: str, paths: list[Path], tmp: Path) -> dict[str, Any]:
    import httpx

    _copy_county(source_url, url)
    server = _start_server(url, tmp / "server.log")
    try:
        base = server[1]
        results: list[tuple[int, str, float]] = []
        lock = threading.Lock()
        barrier = threading.Barrier(len(paths))

        def upload(path: Path) -> None:
            data = path.read_bytes()
            barrier.wait()
            start = time.perf_counter()
            try:
                with httpx.Client(timeout=120) as client:
                    response = client.post(f"{base}/api/v1/packages", content=data,
                                           headers={"Content-Type": "application/octet-stream"})
                outcome = (response.status_code, response.json().get("status", "?"), time.perf_counter() - start)
            except httpx.HTTPError as exc:
                outcome = (0, type(exc).__name__, time.perf_counter() - start)
            with lock:
                results.append(outcome)

        rounds = {}
        for name in ("first", "replay"):
            results.clear()
            start = time.perf_counter()
            with ThreadPoolExecutor(len(paths)) as pool:
                list(pool.map(upload, paths))
            wall = time.perf_counter() - start
            latencies = sorted(r[2] for r in results)
            statuses: dict[str, int] = {}
            for code, status, _ in results:
                statuses[f"{code} {status}"] = statuses.get(f"{code} {status}", 0) + 1
            rounds[name] = {"concurrent": len(paths), "seconds": round(wall, 2), "statuses": statuses,
                            "p95_s": round(latencies[int(len(latencies) * 0.95) - 1], 2),
                            "errors": sum(1 for code, _, _ in results if code != 200)}
        return rounds
    finally:
        server[0].terminate()
        server[0].wait(timeout=20)


def _start_server(url: str, log: Path) -> tuple[subprocess.Popen, str]:
    import socket

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with open(log, "ab") as fh:
        process = subprocess.Popen([sys.executable, "main.py", "county", "serve", "--db-url", url, "--host",
                                    "127.0.0.1", "--port", str(port)], cwd=ROOT, stdout=fh, stderr=fh,
                                   env={**os.environ, "FUPIN_COUNTY_PASSWORD": PASSPHRASE})
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("县级服务器没有启动：" + log.read_text("utf-8", "replace")[-2000:])


def _attachment_records(device_id: str, count: int, size: int) -> Iterator[bytes]:
    """Attachment inserts whose photos (random, so incompressible) travel inside the package."""
    from fupin_desktop.clock import format_hlc
    from fupin_desktop.sync.package import canonical

    wall = int(time.time() * 1000)
    for i in range(1, count + 1):
        data = secrets.token_bytes(size)
        entity_id = uuid.uuid4().hex
        fields = {"owner_table": [None, "household"], "owner_id": [None, uuid.uuid4().hex], "kind": [None, "照片"],
                  "filename": [None, f"照片{i}.jpg"], "mime": [None, "image/jpeg"], "size": [None, size],
                  "sha256": [None, hashlib.sha256(data).hexdigest()]}
        doc = canonical({"seq": i, "tx": f"t{i}", "entity": "attachment", "id": entity_id, "op": "insert",
                         "hlc": format_hlc(wall, i, device_id), "user": "admin", "at": "2026-01-01T00:00:00+00:00",
                         "hh": None, "fields": fields})
        yield doc[:-1] + b',"blob":"' + base64.b64encode(data) + b'"}'


def step_memory(admin: str, tmp: Path, target_mb: int) -> dict[str, Any]:
    """One package of photos just under the package size limit; then two more, out of order, so that one is
    held in the database and released by the other."""
    from fupin_desktop.sync import crypto
    from fupin_desktop.sync.device import device_keys
    from fupin_desktop.sync.enrollment import proof_header
    from fupin_desktop.sync.package import Kind, Limits, seal_to_file

    limit = Limits().package_bytes
    photo = 1 << 20
    count = int(min(target_mb * 2**20,
                    limit * 0.97) / photo)  # base64 of random bytes deflates back to about its raw size
    with fresh_database(admin) as url:
        engine, keys = new_county(url)
        store = new_device(tmp, engine, keys, village_code(50), min_entries=1, seed=9)
        with store.engine.connect() as conn:
            dkeys = device_keys(conn)
        paths = []
        for number in (1, 2, 3):
            path = tmp / f"photos-{number}.fupinpkg"
            header = {"kind": "changes", "county_id": keys.county_id, "device_id": store.device_id,
                      "village_code": store.village_code, "number": number, "seq_from": 1, "seq_to": count,
                      "prev_hash": "", "counts": {"entries": count, "attachments": count}, "acked_through": 0,
                      "device_box_key": crypto.b64(dkeys.box.public),
                      **proof_header(dkeys.county.token, store.device_id, dkeys.sign.public, dkeys.box.public)}
            seal_to_file(path, kind=Kind.CHANGES, sender_id=store.device_id, signing_private=dkeys.sign.private,
                         signing_public=dkeys.sign.public, recipient_public=keys.box.public, header=header,
                         records=_attachment_records(store.device_id, count, photo))
            paths.append(path)
        store.close()
        engine.dispose()
        one = child_import(url, paths[:1])
        rest = child_import(url, [paths[2], paths[1]])  # 3 arrives first and is held (stored whole), 2 releases it
    if set(one["statuses"]) != {"imported"} or "rejected" in rest["statuses"]:  # a refused package measures nothing
        raise SystemExit(f"memory step: packages were not imported: {one['statuses']} {rest['statuses']}")
    return {"package_mb": round(paths[0].stat().st_size / 2**20, 1), "limit_mb": limit // 2**20,
            "photos_per_package": count,
            "one_package": {"seconds": round(one["seconds"], 2), "peak_rss_mb": one["peak_rss_mb"],
                            "statuses": one["statuses"]},
            "held_then_released": {"seconds": round(rest["seconds"], 2), "peak_rss_mb": rest["peak_rss_mb"],
                                   "statuses": rest["statuses"]}, "goal_rss_mb": 500}


STEPS = ("packaging", "throughput", "morning", "memory")


def main() -> None:
    parser = argparse.ArgumentParser(description="同步基准测试（需要 PostgreSQL）")
    parser.add_argument("--pg-url", default=os.environ.get("FUPIN_TEST_PG_URL"))
    parser.add_argument("--step", choices=STEPS, action="append")
    parser.add_argument("--packaging-entries", type=int, default=10_000)
    parser.add_argument("--throughput-entries", type=int, default=40_000)
    parser.add_argument("--morning-devices", type=int, default=60)
    parser.add_argument("--morning-packages", type=int, default=5, help="每台设备的包数")
    parser.add_argument("--morning-size", type=int, default=200, help="每个包的变更条数")
    parser.add_argument("--uploads", type=int, default=50, help="同时上传的设备数")
    parser.add_argument("--memory-mb", type=int, default=64, help="大包的目标大小")
    parser.add_argument("--child-import", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_import:
        _child_main(*args.child_import)
        return
    if not args.pg_url:
        raise SystemExit("需要 PostgreSQL："
                         "用 bash -c 'source scripts/postgres.sh; .venv/bin/python -m bench.sync_bench' "
                         "运行，或给出 --pg-url。")
    steps = args.step or list(STEPS)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for step in steps:
            work = tmp / step
            work.mkdir()
            if step == "packaging":
                results[step] = step_packaging(args.pg_url, work, args.packaging_entries)
            elif step == "throughput":
                results[step] = step_throughput(args.pg_url, work, args.throughput_entries)
            elif step == "morning":
                results[step] = step_morning(args.pg_url, work, args.morning_devices, args.morning_packages,
                                             args.morning_size, args.uploads)
            else:
                results[step] = step_memory(args.pg_url, work, args.memory_mb)
            print(json.dumps({step: results[step]}, ensure_ascii=False), flush=True)
    print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
