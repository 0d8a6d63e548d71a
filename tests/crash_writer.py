"""Child process for the crash test: writes 1,000 households, 20 per transaction, until killed."""

from __future__ import annotations

import sys

from fupin_desktop.services.households import create_households
from fupin_desktop.services.households import unit_of_work
from fupin_desktop.store.store import Store

from .conftest import PASSWORD
from .factories import household


def main(path: str, run: int) -> None:
    with Store.open(path, "admin", PASSWORD) as store:
        print("ready", flush=True)
        for batch in range(50):
            bundles = []
            for i in range(20):
                n = batch * 20 + i
                bundles.append(household(head=f"张{n}", hh_no=f"R{run}-{n:05d}", extra_members=n % 4))
            with unit_of_work(store, check=False) as uow:
                create_households(uow, bundles)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
