"""Child process for the county crash test: imports package files into the county database, saying
on stdout when each one starts and ends, until it is killed."""

from __future__ import annotations

import sys
from pathlib import Path

from fupin_desktop.county.db import open_county_db
from fupin_desktop.county.importer import import_file
from fupin_desktop.county.keys import load_county

from .conftest import COUNTY_PASSPHRASE


def main(url: str, paths: list[str]) -> None:
    engine = open_county_db(url, COUNTY_PASSPHRASE)
    keys = load_county(engine, COUNTY_PASSPHRASE)
    print("ready", flush=True)
    for i, path in enumerate(paths):
        print(f"start {i}", flush=True)
        [report, *_] = import_file(engine, keys, Path(path))
        print(f"done {i} {report.status}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
