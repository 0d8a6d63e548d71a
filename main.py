"""Fupin Desktop. ``python main.py [--store DIR]`` opens the desktop app; ``python main.py <command>``
runs the same jobs headless (see ``python main.py --help``)."""

import multiprocessing
import sys


def run() -> int:
    args = sys.argv[1:]
    if args and not args[0].startswith("--store"):
        from fupin_desktop.cli import main

        return main(args)
    from ui.app import main as gui_main

    return gui_main(args)


if __name__ == "__main__":
    multiprocessing.freeze_support()  # the whole-store check uses worker processes, also when frozen
    sys.exit(run())
