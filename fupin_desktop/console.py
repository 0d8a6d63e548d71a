"""Console output that never crashes on encoding (issue 19).

A Chinese Windows console or a redirected ``fupin … > 结果.txt`` writes in the ANSI code page (GBK,
cp936). A character outside it (✓, or a rare name character such as 䶮 in 刘䶮) raised
UnicodeEncodeError in the middle of a command. Set up once at CLI start: the console encoding is
kept (so 记事本 and ``type`` read the file), an unencodable character becomes "?" instead of an
error; ``--json`` to a file or a pipe is UTF-8 (JSON's own encoding, and every character kept).
Marks are √ and ×, which GBK has.
"""

from __future__ import annotations

import io
import sys

OK_MARK = "√"
FAIL_MARK = "×"


def setup_console(*, json_output: bool = False) -> None:
    """Reconfigure stdout and stderr; streams that are not plain text files (tests' captures) are left."""
    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, io.TextIOWrapper):
            continue
        if json_output and stream is sys.stdout and not stream.isatty():
            stream.reconfigure(encoding="utf-8", errors="strict")
        else:
            stream.reconfigure(errors="replace")
