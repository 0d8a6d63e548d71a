"""Joining the chunk PDFs of a batch into one file, streaming.

ReportLab keeps every page of a document in memory until ``save``; a 5,000-household batch as one
document would grow by tens of kilobytes a page. So a batch is rendered in chunks of households,
each its own small PDF, and this writer copies their pages into the output one object at a time:
only the object offsets (a few bytes per object) stay in memory. pypdf reads each chunk lazily;
objects are renumbered as they are reached from a page, and each chunk's font subset is copied
once for that chunk.
"""

from __future__ import annotations

import gc
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject, DictionaryObject, IndirectObject, NameObject, NumberObject, PdfObject, StreamObject,
    TextStringObject,
)

_CATALOG, _PAGES, _INFO = 1, 2, 3


def _ref(number: int) -> IndirectObject:
    return IndirectObject(number, 0, None)  # no reader: the reference is written, never resolved


class StreamingPdfWriter:
    def __init__(self, out: BinaryIO, title: str) -> None:
        self.out = out
        self.title = title
        # Byte offset of every object, by number; plain machine integers: 8 bytes an object.
        self.offsets = array("q", [0] * (_INFO + 1))
        self.kids = array("q")
        out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _allocate(self) -> int:
        self.offsets.append(0)
        return len(self.offsets) - 1

    def _write(self, number: int, obj: PdfObject) -> None:
        self.offsets[number] = self.out.tell()
        self.out.write(b"%d 0 obj\n" % number)
        obj.write_to_stream(self.out)
        self.out.write(b"\nendobj\n")

    def append(self, path: Path) -> int:
        """Copy every page of the PDF at ``path``; returns the number of pages copied."""
        reader = PdfReader(str(path))
        mapping: dict[int, int] = {}
        pending: list[tuple[int, int]] = []

        def remap(obj: Any) -> Any:
            if isinstance(obj, IndirectObject):
                if obj.idnum not in mapping:
                    mapping[obj.idnum] = self._allocate()
                    pending.append((obj.idnum, mapping[obj.idnum]))
                return _ref(mapping[obj.idnum])
            if isinstance(obj, StreamObject):
                copy = StreamObject()
                copy._data = obj._data  # still encoded: copied as bytes, never decompressed
                copy.update({k: remap(v) for k, v in obj.items() if k != "/Length"})
                return copy
            if isinstance(obj, DictionaryObject):
                return DictionaryObject({k: remap(v) for k, v in obj.items()})
            if isinstance(obj, ArrayObject):
                return ArrayObject(remap(v) for v in obj)
            return obj

        for page in reader.pages:
            copy = DictionaryObject({k: remap(v) for k, v in page.items() if k != "/Parent"})
            copy[NameObject("/Parent")] = _ref(_PAGES)
            number = self._allocate()
            self._write(number, copy)
            self.kids.append(number)
            while pending:
                old, new = pending.pop()
                self._write(new, remap(reader.get_object(old)))
            # Everything this page reached is written; pypdf would otherwise keep it all parsed.
            reader.resolved_objects.clear()
        return len(reader.pages)

    def close(self) -> None:
        self._write(_PAGES, DictionaryObject({
            NameObject("/Type"): NameObject("/Pages"),
            NameObject("/Kids"): ArrayObject(_ref(k) for k in self.kids),
            NameObject("/Count"): NumberObject(len(self.kids)),
        }))
        self._write(_CATALOG, DictionaryObject({
            NameObject("/Type"): NameObject("/Catalog"), NameObject("/Pages"): _ref(_PAGES),
        }))
        self._write(_INFO, DictionaryObject({
            NameObject("/Title"): TextStringObject(self.title),
            NameObject("/Creator"): TextStringObject("Fupin Desktop"),
        }))
        xref, size = self.out.tell(), len(self.offsets)
        self.out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for number in range(1, size):
            self.out.write(b"%010d 00000 n \n" % self.offsets[number])
        self.out.write(b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
                       % (size, _CATALOG, _INFO, xref))


def free_cycles() -> None:
    """Collect now — unless automatic collection is off: the desktop app collects on its GUI thread
    only (ui/collector.py), and a collection on the worker could free a Qt object there."""
    if gc.isenabled():
        gc.collect()


@contextmanager
def older_objects_set_aside() -> Iterator[None]:
    """For a batch's duration, its collections look only at objects the batch made: what lived
    before (modules, the store, the fonts' tables: some 300,000 objects) is frozen. Each of
    ``free_cycles`` then costs 20 ms instead of 120 (500 households: 0.2 s instead of 1.2)."""
    if not gc.isenabled():  # the desktop app: its GUI thread collects (see ``free_cycles``)
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def concatenate(parts: list[Path], out: BinaryIO, title: str) -> int:
    writer = StreamingPdfWriter(out, title)
    pages = 0
    for part in parts:
        pages += writer.append(part)
        # A pypdf reader and its objects refer to each other: free each chunk's now, so they do
        # not pile up until the cyclic collector runs.
        free_cycles()
    writer.close()
    return pages
