"""Fupin Desktop. ``python main.py [--store DIR]`` opens the desktop app; ``python main.py <command>``
runs the same jobs headless (see ``python main.py --help``). ``--version`` and ``--self-test`` work
from source and from the frozen build; ``--measure-startup`` quits once the unlock screen shows and
prints the time it took (bench/build_bench.py)."""

import multiprocessing
import sys

GUI_FLAGS = ("--store", "--measure-startup")


def windowed_command(args: list[str]) -> int:
    """FupinDesktop.exe (no console on Windows) given a command: it has nowhere to print, so it says
    which program to use instead of running silently."""
    text = ("FupinDesktop.exe 是窗口程序，不能在命令行中显示结果。\n"
            f"命令请用同一文件夹中的 fupin.exe，例如：\n    fupin.exe {' '.join(args[:2])}")
    if sys.platform == "win32":
        import ctypes  # noqa: PLC0415

        ctypes.windll.user32.MessageBoxW(None, text, "扶贫档案", 0x40)
    return 2


# The imports below are late on purpose: the command line must not load Qt, and the unlock screen must
# show before anything else is imported (bench/build_bench.py measures it).
def run() -> int:
    args = sys.argv[1:]
    from fupin_desktop.logs import setup_logging  # noqa: PLC0415

    setup_logging()
    if args and not args[0].startswith(GUI_FLAGS) and sys.stdout is None:
        return windowed_command(args)
    if args[:1] == ["--self-test"]:
        from fupin_desktop.console import setup_console  # noqa: PLC0415
        from ui.selftest import main as self_test  # noqa: PLC0415

        setup_console()
        return self_test()
    if args and not args[0].startswith(GUI_FLAGS):
        from fupin_desktop.cli import main  # noqa: PLC0415

        return main(args)
    from ui.app import main as gui_main  # noqa: PLC0415

    return gui_main(args)


if __name__ == "__main__":
    multiprocessing.freeze_support()  # the whole-store check uses worker processes, also when frozen
    sys.exit(run())
