"""A hybrid logical clock (Kulkarni et al.): wall time when clocks behave, a counter when they do not.

Village laptops keep the wrong time for weeks. An HLC never goes backwards on one device, and after
it has seen a timestamp from elsewhere it stays ahead of it, so ordering changes by HLC respects
causality whatever the wall clocks say. Wall time is kept separately for display.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class HybridClock:
    device_id: str
    wall_ms: int = 0
    counter: int = 0

    @staticmethod
    def _physical_ms() -> int:
        return time.time_ns() // 1_000_000

    def tick(self) -> str:
        now = self._physical_ms()
        if now > self.wall_ms:
            self.wall_ms, self.counter = now, 0
        else:
            self.counter += 1
        return self.stamp()

    def stamp(self) -> str:
        return format_hlc(self.wall_ms, self.counter, self.device_id)

    def state(self) -> str:
        return f"{self.wall_ms}:{self.counter}"

    @classmethod
    def restore(cls, device_id: str, state: str | None) -> "HybridClock":
        if not state:
            return cls(device_id)
        wall, counter = state.split(":")
        return cls(device_id, int(wall), int(counter))


def format_hlc(wall_ms: int, counter: int, device_id: str) -> str:
    # Fixed widths so that comparing the strings compares the clocks.
    return f"{wall_ms:013d}.{counter:08x}.{device_id}"


def parse(stamp: str) -> tuple[int, int, str]:
    wall, counter, device = stamp.split(".", 2)
    return int(wall), int(counter, 16), device
