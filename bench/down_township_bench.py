"""Down-sync at the issue's sizes (issue 13, Speed): a township clerk's first download, a routine
exchange of 10,000 changes, the county building down packages for 300 devices after a morning.

    FUPIN_TEST_PG_URL=postgresql+psycopg://… .venv/bin/python -m bench.down_township_bench --households 20000

The county is built in bulk directly in PostgreSQL, not through laptop imports (300 imports of a
township would take longer than everything measured here): the demo generator's households of
20 villages of one township, written as the county's records (JSON per field, a version per field,
a revision each) with COPY, as its importer leaves them. A clerk's laptop (township scope) is enrolled
and introduced by its first package, as in real use. Then, each side in its own process so that its
time and peak RSS are its own (VmHWM):

1. the county builds the clerk's packages into a folder (`export_down`, the USB path);
2. the laptop applies them (`apply_files`: one transaction per package, summaries and validation
   marks at the end), then the floor: the same rows, read back from the laptop, inserted into a fresh
   store of the same schema with one raw executemany of tuples per table (timed inserts only), once
   as the schema is and once without the re-check's triggers (as a first download inserts).
   The same first download over HTTP, end to end: a second clerk, enrolled and introduced alike,
   pulls with `sync.pull.pull` from the county server (`fupin county serve`, a process of its own,
   building the next packages while the laptop applies the current one); the laptop in another
   process. Wall clock of the pull, how long the laptop waited for answers, peak RSS and CPU seconds
   of each side (`first_download_http`); `--http-without-ahead` measures it once more with
   build-ahead off (FUPIN_DOWN_AHEAD=0), a third clerk;
3. the clerk's next up package tells the county which down packages it applied; 10,000 records changed
   at the county (a phone number and a 人口编号 each, new revisions), built and applied the ordinary
   way (not a first download any more);
4. 300 village laptops (Device rows written directly, each its own village, up to date) and a morning
   of imports that created 60,000 records across their villages; the county builds every one's next
   package.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .steps import run_polled
from .sync_bench import PASSPHRASE, PASSWORD, _high_water_mb, fresh_database, new_county

TOWNSHIP = "520102003"
VILLAGES = 20
BATCH = 500


def _village(i: int, township: str = TOWNSHIP) -> str:
    return f"{township}{i + 1:03d}"


# ---- the county, written in bulk -----------------------------------------------------------------
def write_records(url: str, bundles_by_village: list[tuple[str, list[Any]]], helpers: bool = True) -> int:
    """The county's records of these households (and their 帮扶责任人) with COPY; returns how many."""
    import psycopg

    from fupin_desktop.clock import HybridClock
    from fupin_desktop.services.households import flatten
    from fupin_desktop.services.uow import _logged_columns
    from fupin_desktop.values import to_json

    clock, written = HybridClock.restore("bench0000000000000000000000000000", None), 0
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        rev = int(cur.execute("SELECT coalesce(max(rev), 0) FROM record").fetchone()[0])  # type: ignore[index]
        with cur.copy("COPY record (entity, entity_id, household_id, village_code, data, versions, deleted, "
                      "updated_at, rev) FROM STDIN") as copy:
            for village, bundles in bundles_by_village:
                tables: list[tuple[Any, list[dict[str, Any]], list[str | None]]] = []
                if helpers:
                    from fupin_desktop.model import Helper

                    rows = list({h["id"]: dict(h) for b in bundles for h in b.helpers.values()}.values())
                    tables.append((Helper.__table__, rows, [None] * len(rows)))
                for model, (rows, owners) in flatten(bundles, compute_income=True).items():
                    tables.append((model.__table__, rows, owners))
                for table, rows, owners in tables:
                    logged = _logged_columns(table)
                    for row, owner in zip(rows, owners):
                        data = {k: to_json(v) for k, v in row.items() if k in logged and v is not None}
                        hlc = clock.tick()
                        rev += 1
                        copy.write_row((table.name, row["id"], owner, village, json.dumps(data, ensure_ascii=False),
                                        json.dumps(dict.fromkeys(data, hlc)), False, "2026-01-01T00:00:00+00:00",
                                        rev))
                        written += 1
        conn.commit()
    return written


def build_township(url: str, households: int) -> int:
    from fupin_desktop.demo import generate

    per_village, written = max(1, households // VILLAGES), 0
    for i in range(VILLAGES):
        village = _village(i)
        source = generate(per_village, seed=100 + i, village_code=village)
        while batch := [b for _, b in zip(range(BATCH), source)]:
            written += write_records(url, [(village, batch)])
    return written


# ---- child processes: each side's time and peak memory are its own -------------------------------
def _child(*args: str) -> dict[str, Any]:
    return run_polled(["-m", "bench.down_township_bench", "--child", *args], f"子进程失败：{args[0]}")


def _open_county(url: str) -> tuple[Any, Any]:
    from fupin_desktop.county.db import open_county_db
    from fupin_desktop.county.keys import load_county

    engine = open_county_db(url, PASSPHRASE)
    return engine, load_county(engine, PASSPHRASE)


def child_build(url: str, folder: str, device_ids: str) -> dict[str, Any]:
    from fupin_desktop.county.down import export_down

    engine, keys = _open_county(url)
    started = time.perf_counter()
    paths = export_down(engine, keys, Path(folder), device_ids.split(",") if device_ids else None)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "packages": len(paths), "bytes": sum(p.stat().st_size for p in paths)}


def child_apply(store_dir: str, folder: str) -> dict[str, Any]:
    from fupin_desktop.store.store import Store
    from fupin_desktop.sync import down, received
    from fupin_desktop.sync.received import apply_files

    store = Store.open(Path(store_dir), "admin", PASSWORD)
    packages: list[float] = []
    finish = [0.0]
    real_finish = down.finish_run

    def timed_finish(*args: Any, **kwargs: Any) -> bool:  # the summaries and marks left for the end of the run
        started = time.perf_counter()
        done = real_finish(*args, **kwargs)
        finish[0] += time.perf_counter() - started
        return done

    received.finish_run = timed_finish  # type: ignore[assignment]
    started = time.perf_counter()
    results = []
    for _, result in apply_files(store, [Path(folder)]):
        results.append(result)
        packages.append(time.perf_counter() - started)
    seconds = time.perf_counter() - started
    store.close()
    return {"seconds": round(seconds, 2), "records": sum(getattr(r, "records", 0) for r in results),
            "changed": sum(getattr(r, "changed", 0) for r in results), "packages_s": round(packages[-1], 2),
            "summaries_and_marks_s": round(finish[0], 2)}


def child_floor(store_dir: str, work: str, triggers: str = "on") -> dict[str, Any]:
    """The same rows as the laptop now holds, into a fresh store of the same schema: one raw executemany
    of tuples per table, in chunks (only the inserts timed). ``triggers`` "off": with the re-check's
    triggers dropped first, as a first download inserts (sync/snapshot.py) — the stricter floor."""
    from sqlalchemy import text

    from fupin_desktop.model import Base
    from fupin_desktop.store.store import Store

    source = Store.open(Path(store_dir), "admin", PASSWORD)
    target, _ = Store.create(Path(work) / f"floor-{triggers}", village_code=source.village_code, village_name="基准村",
                             username="admin", password=PASSWORD)
    skip = {"meta", "change_log", "sync_outbox", "app_user", "check_dirty", "check_result", "check_key"}
    seconds, rows = 0.0, 0
    with source.engine.connect() as src, target.engine.connect() as dst:
        if triggers == "off":
            for (name,) in dst.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").all():
                dst.exec_driver_sql(f'DROP TRIGGER "{name}"')
            dst.commit()
        for table in Base.metadata.sorted_tables:
            if table.name in skip or dst.exec_driver_sql(f'SELECT 1 FROM "{table.name}" LIMIT 1').first():
                continue  # a new store's own rows (the village's area row): not what came down
            names = [c.name for c in table.c]
            sql = (f'INSERT INTO "{table.name}" ({", ".join(chr(34) + n + chr(34) for n in names)}) '
                   f'VALUES ({", ".join("?" * len(names))})')
            cursor = src.exec_driver_sql(f'SELECT {", ".join(chr(34) + n + chr(34) for n in names)} '
                                         f'FROM "{table.name}"')
            while chunk := cursor.fetchmany(20_000):
                tuples = [tuple(r) for r in chunk]
                started = time.perf_counter()
                dst.exec_driver_sql(sql, tuples)
                seconds += time.perf_counter() - started
                rows += len(tuples)
        started = time.perf_counter()
        dst.commit()
        seconds += time.perf_counter() - started
        dst.execute(text("SELECT 1"))
    source.close()
    target.close()
    return {"seconds": round(seconds, 2), "rows": rows}


def child_pull(store_dir: str, base: str) -> dict[str, Any]:
    """A clerk's first download over HTTP, as the laptop runs it (each package applied before the next is asked for)."""
    from fupin_desktop.store.store import Store
    from fupin_desktop.sync import pull as pulling

    store = Store.open(Path(store_dir), "admin", PASSWORD)
    waited = [0.0]
    real_ask = pulling._ask

    def timed_ask(*args: Any, **kwargs: Any) -> bytes | None:  # the laptop waiting for the county's answer
        started = time.perf_counter()
        try:
            return real_ask(*args, **kwargs)
        finally:
            waited[0] += time.perf_counter() - started

    pulling._ask = timed_ask  # type: ignore[assignment]
    started = time.perf_counter()
    result = pulling.pull(store, base)
    seconds = time.perf_counter() - started
    cpu = os.times()
    store.close()
    return {"seconds": round(seconds, 2), "packages": len(result.applied), "waiting_s": round(waited[0], 2),
            "records": sum(r.records for r in result.applied), "cpu_s": round(cpu.user + cpu.system, 2)}


def _child_main(args: list[str]) -> None:
    kind, rest = args[0], args[1:]
    result = {"build": child_build, "apply": child_apply, "floor": child_floor, "pull": child_pull}[kind](*rest)
    result["peak_rss_mb"] = round(_high_water_mb(), 1)
    print(json.dumps(result))


# ---- steps ---------------------------------------------------------------------------------------
def clerk(tmp: Path, engine: Any, keys: Any, name: str = "clerk") -> Any:
    """A township clerk's laptop, enrolled and introduced to the county by its first (empty) package,
    whose acknowledgment it has (so that a pull does not send it again)."""
    from fupin_desktop.county.acks import write_acks
    from fupin_desktop.county.devices import issue_enrollment
    from fupin_desktop.county.importer import import_file
    from fupin_desktop.store.store import Store
    from fupin_desktop.sync.device import enroll, export_to_folder
    from fupin_desktop.sync.receipts import apply_ack

    store, _ = Store.create(tmp / name, village_code=_village(0), village_name="基准村", username="admin",
                            password=PASSWORD)
    issue_enrollment(engine, keys, village_code=_village(0), label=f"乡镇干事 {name}", out=tmp / f"{name}.fupinenroll",
                     scope=TOWNSHIP)
    enroll(store, tmp / f"{name}.fupinenroll")
    for path in export_to_folder(store, tmp / f"hello-{name}"):
        import_file(engine, keys, path)
    for path in write_acks(engine, keys, {store.device_id}, tmp / f"ack-{name}"):
        apply_ack(store, path)
    return store


def _proc_status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def http_first_download(url: str, tmp: Path, store_dir: str, ahead: bool) -> dict[str, Any]:
    """The clerk's first download over HTTP: the county server in a process of its own, the laptop's pull in
    another; the server's peak RSS (VmHWM) and CPU seconds read from /proc before it is stopped."""
    import psutil

    from .sync_bench import _start_server

    os.environ["FUPIN_DOWN_AHEAD"] = "2" if ahead else "0"  # the server process inherits it
    try:
        process, base = _start_server(url, tmp / f"server-{'ahead' if ahead else 'serial'}.log")
    finally:
        del os.environ["FUPIN_DOWN_AHEAD"]
    try:
        server = psutil.Process(process.pid)
        cpu_before = sum(server.cpu_times()[:2])
        started = time.perf_counter()
        pulled = _child("pull", store_dir, base)
        wall = time.perf_counter() - started
        cpu = sum(server.cpu_times()[:2]) - cpu_before
        county_peak = _proc_status_mb(process.pid, "VmHWM")
    finally:
        process.terminate()
        process.wait(timeout=60)
    return {"build_ahead": ahead, "packages": pulled["packages"], "records": pulled["records"],
            "end_to_end_s": pulled["seconds"], "wall_with_device_start_s": round(wall, 2),
            "device_waiting_for_county_s": pulled["waiting_s"],
            "records_per_s": round(pulled["records"] / pulled["seconds"]) if pulled["seconds"] else None,
            "county_cpu_s": round(cpu, 2), "county_peak_rss_mb": round(county_peak, 1),
            "device_cpu_s": pulled["cpu_s"], "device_peak_rss_mb": pulled["peak_rss_mb"]}


def tell_county(tmp: Path, engine: Any, keys: Any, store_dir: str) -> None:
    """The clerk's next (empty) up package, which says which down packages it has applied."""
    from fupin_desktop.county.importer import import_file
    from fupin_desktop.store.store import Store
    from fupin_desktop.sync.device import export_to_folder

    store = Store.open(Path(store_dir), "admin", PASSWORD)
    for path in export_to_folder(store, tmp / "applied"):
        import_file(engine, keys, path)
    store.close()


def routine_changes(engine: Any, count: int) -> None:
    """``count`` member records changed at the county, each with a new revision, as imports leave them."""
    from sqlalchemy import text

    with engine.begin() as conn:
        top = conn.execute(text("SELECT max(rev) FROM record")).scalar() or 0
        conn.execute(text(
            "UPDATE record r SET data = (r.data::jsonb || jsonb_build_object("
            "'phone', '139' || lpad(s.n::text, 8, '0'), 'member_no', '99' || lpad(s.n::text, 10, '0')))::text, "
            "versions = (r.versions::jsonb || jsonb_build_object('phone', '9999999999999.00000001.county', "
            "'member_no', '9999999999999.00000001.county'))::text, "
            "rev = :top + s.n FROM (SELECT entity_id, row_number() OVER (ORDER BY entity_id) AS n FROM record "
            "WHERE entity = 'member' ORDER BY entity_id LIMIT :count) s "
            "WHERE r.entity = 'member' AND r.entity_id = s.entity_id"), {"top": top, "count": count})


def morning(url: str, engine: Any, devices: int, records: int) -> list[str]:
    """``devices`` village laptops, each of its own village in other townships and up to date, then a
    morning of imports creating about ``records`` records across those villages. Returns their ids."""
    import secrets

    from sqlalchemy import text
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from fupin_desktop.demo import generate

    villages = [f"520102{10 + i // 100:03d}{i % 100 + 1:03d}" for i in range(devices)]
    with engine.begin() as conn:
        top = conn.execute(text("SELECT coalesce(max(rev), 0) FROM record")).scalar() or 0
        ids = [secrets.token_hex(16) for _ in villages]
        conn.execute(text(
            "INSERT INTO device (id, village_code, label, sign_key, box_key, status, enrolled_at, last_number, "
            "last_hash, ack_number, acked_through, scope, down_number, down_rev, down_applied, ref_version) "
            "VALUES (:id, :v, :v, :sk, :bk, 'active', '2026-01-01', 0, '', 0, 0, NULL, 0, :top, 0, "
            "(SELECT coalesce(max(version), 0) FROM reference_value))"),
            [{"id": i, "v": v, "sk": secrets.token_hex(32), "top": top,
              "bk": X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()}
             for i, v in zip(ids, villages)])
    per_village = max(1, records // devices // 38)  # a demo household is about 38 records
    write_records(url, [(v, list(generate(per_village, seed=7 + n, village_code=v))) for n, v in enumerate(villages)])
    return ids


def run(admin: str, households: int, routine: int, devices: int, morning_records: int,
        http_without_ahead: bool = False) -> dict[str, Any]:
    from sqlalchemy import text

    out: dict[str, Any] = {"households": households}
    with fresh_database(admin) as url, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        engine, keys = new_county(url)
        started = time.perf_counter()
        out["county_records"] = build_township(url, households)
        with engine.connect() as conn:  # planner statistics, as a county that has been running has them
            conn.execute(text("ANALYZE record"))
        out["county_bulk_setup_s"] = round(time.perf_counter() - started, 1)
        store = clerk(tmp, engine, keys)
        store_dir, device_id = str(store.path), store.device_id
        store.close()
        over_http = [clerk(tmp, engine, keys, name) for name in ("http", "serial")[:1 + http_without_ahead]]
        http_dirs = [str(s.path) for s in over_http]
        for s in over_http:
            s.close()

        # the USB clerk's packages only: the others are the HTTP ones', built by the server as they pull
        build = _child("build", url, str(tmp / "first"), device_id)
        apply = _child("apply", store_dir, str(tmp / "first"))
        floor = _child("floor", store_dir, str(tmp))
        strict = _child("floor", store_dir, str(tmp), "off")
        end_to_end = build["seconds"] + apply["seconds"]
        out["first_download"] = {
            "packages": build["packages"], "records": apply["records"], "megabytes": round(build["bytes"] / 2**20, 1),
            "county_build_s": build["seconds"], "county_peak_rss_mb": build["peak_rss_mb"],
            "device_apply_s": apply["seconds"], "device_packages_s": apply["packages_s"],
            "device_summaries_and_marks_s": apply["summaries_and_marks_s"], "device_peak_rss_mb": apply["peak_rss_mb"],
            "end_to_end_s": round(end_to_end, 2), "records_per_s": round(apply["records"] / end_to_end),
            "floor_rows": floor["rows"], "floor_s": floor["seconds"],
            "apply_share_of_floor": round(floor["seconds"] / apply["seconds"], 3),
            "floor_without_triggers_s": strict["seconds"],
            "apply_share_of_floor_without_triggers": round(strict["seconds"] / apply["seconds"], 3)}
        out["first_download_http"] = http_first_download(url, tmp, http_dirs[0], ahead=True)
        if http_without_ahead:
            out["first_download_http_without_ahead"] = http_first_download(url, tmp, http_dirs[1], ahead=False)

        tell_county(tmp, engine, keys, store_dir)  # what the clerk applied: the county writes only what follows
        routine_changes(engine, routine)
        build = _child("build", url, str(tmp / "routine"), device_id)
        apply = _child("apply", store_dir, str(tmp / "routine"))
        out["routine_exchange"] = {"changes": routine, "county_build_s": build["seconds"],
                                   "device_apply_s": apply["seconds"], "records": apply["records"],
                                   "device_summaries_and_marks_s": apply["summaries_and_marks_s"],
                                   "end_to_end_s": round(build["seconds"] + apply["seconds"], 2)}

        ids = morning(url, engine, devices, morning_records)
        build = _child("build", url, str(tmp / "morning"), ",".join(ids))
        with engine.connect() as conn:
            built = conn.execute(text("SELECT count(*), coalesce(sum(records), 0) FROM down_package "
                                      "WHERE device_id = ANY(:ids)"), {"ids": ids}).one()
        out["county_300_devices"] = {"devices": devices, "packages": built[0], "records": int(built[1]),
                                     "county_build_s": build["seconds"], "county_peak_rss_mb": build["peak_rss_mb"]}
        engine.dispose()
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg-url", default=os.environ.get("FUPIN_TEST_PG_URL", ""))
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--routine", type=int, default=10_000, help="routine exchange: records changed")
    parser.add_argument("--devices", type=int, default=300)
    parser.add_argument("--morning-records", type=int, default=60_000)
    parser.add_argument("--http-without-ahead", action="store_true",
                        help="the HTTP first download once more with build-ahead off (a third clerk)")
    args = parser.parse_args()
    started = time.perf_counter()
    result = run(args.pg_url, args.households, args.routine, args.devices, args.morning_records,
                 args.http_without_ahead)
    result["bench_total_s"] = round(time.perf_counter() - started, 1)
    result["load_average"] = os.getloadavg()
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
