"""Fupin Desktop. ``python main.py [--store DIR]`` opens the desktop app; ``python main.py <command>``
runs the same jobs headless (see ``python main.py --help``). ``--version`` and ``--self-test`` work
from source and from the frozen build; ``--measure-startup`` quits once the unlock screen shows and
prints the time it took (bench/build_bench.py)."""

import multiprocessing
import sys

GUI_FLAGS = ("--store", "--measure-startup")


# The imports below are late on purpose: the command line must not load Qt, and the unlock screen must
# show before anything else is imported (bench/build_bench.py measures it).
def run() -> int:
    args = sys.argv[1:]
    from fupin_desktop.logs import setup_logging  # noqa: PLC0415

    setup_logging()
    if args[:1] == ["--self-test"]:
        from ui.selftest import main as self_test  # noqa: PLC0415

        return self_test()
    if args and not args[0].startswith(GUI_FLAGS):
        from fupin_desktop.cli import main  # noqa: PLC0415

        return main(args)
    from ui.app import main as gui_main  # noqa: PLC0415

    return gui_main(args)


if __name__ == "__main__":
    multiprocessing.freeze_support()  # the whole-store check uses worker processes, also when frozen
    sys.exit(run())
