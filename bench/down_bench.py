"""Down-sync benchmark (issue 13): a new laptop's first download of a village from the county.

    bash -c 'source scripts/postgres.sh; .venv/bin/python -m bench.down_bench --entries 60000'

A village laptop sends ``--entries`` change-log entries of demo households to a fresh PostgreSQL county;
a second laptop of the village is introduced and the county builds its down packages (timed), then the
laptop applies them one transaction each (timed). Prints JSON with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from .sync_bench import fresh_database, new_county, new_device

VILLAGE = "520102003004"


def run(admin: str, entries: int) -> dict[str, Any]:
    from sqlalchemy import text

    from fupin_desktop.county.down import build_all
    from fupin_desktop.county.importer import import_file
    from fupin_desktop.sync.device import export_to_folder
    from fupin_desktop.sync.down import apply_down, finish_run

    with fresh_database(admin) as url, tempfile.TemporaryDirectory() as tmp:
        engine, keys = new_county(url)
        source = new_device(Path(tmp), engine, keys, VILLAGE, min_entries=entries, seed=1)
        for path in export_to_folder(source, Path(tmp) / "up"):
            import_file(engine, keys, path)
        laptop = new_device(Path(tmp), engine, keys, VILLAGE, min_entries=0, seed=2)
        for path in export_to_folder(laptop, Path(tmp) / "hello"):
            import_file(engine, keys, path)
        started = time.perf_counter()
        built = build_all(engine, keys, laptop.device_id)
        county_s = time.perf_counter() - started
        started = time.perf_counter()
        for package in built:
            path = Path(tmp) / "down.fupindown"
            path.write_bytes(package.data)
            apply_down(laptop, path)
        finish_run(laptop)  # the validation marks of the whole run
        device_s = time.perf_counter() - started
        # What the app's 收到的更新和冲突 dialog and the 同步 menu's label read afterwards (database worker).
        from fupin_desktop.sync.received import conflicts_waiting, received_summary

        started = time.perf_counter()
        summary = received_summary(laptop)
        received_s = time.perf_counter() - started
        started = time.perf_counter()
        conflicts_waiting(laptop)
        menu_s = time.perf_counter() - started
        with engine.connect() as conn:
            records = conn.execute(text("SELECT count(*) FROM record")).scalar() or 0
        engine.dispose()
        return {"records": records, "packages": len(built), "county_build_s": round(county_s, 2),
                "device_apply_s": round(device_s, 2), "received_dialog_s": round(received_s, 3),
                "received_households": summary.households_changed, "menu_label_s": round(menu_s, 4),
                "records_per_s_end_to_end": round(records / (county_s + device_s))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg-url", default=os.environ.get("FUPIN_TEST_PG_URL", ""))
    parser.add_argument("--entries", type=int, default=60_000)
    args = parser.parse_args()
    print(json.dumps(run(args.pg_url, args.entries), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
