"""Fupin Desktop. ``python main.py`` opens the desktop app; ``python main.py <command>`` runs the
same jobs headless (see ``python main.py --help``)."""

import sys


def run() -> int:
    if len(sys.argv) > 1:
        from fupin_desktop.cli import main

        return main(sys.argv[1:])
    from ui.app import main as gui_main

    return gui_main()


if __name__ == "__main__":
    sys.exit(run())
