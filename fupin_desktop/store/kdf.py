"""Argon2id parameters for key slots: the product's tuning, the bounds a slot file may ask for, and
the one switch that lets the test suite use cheap parameters.

A slot file names its own KDF parameters, so an edited file could ask for 1 TiB of memory or 10^9
iterations and hang the unlock. ``check_bounds`` refuses anything outside what this program would
ever write, before any derivation runs.

Cheap parameters (``FUPIN_KDF_MEMORY_KIB``, ``FUPIN_KDF_ITERATIONS``, ``FUPIN_UNLOCK_DELAY``) are
honoured only when ``FUPIN_TEST_SUITE`` holds the exact value ``TEST_SUITE_TOKEN`` and the program is
not a frozen build. A stray variable in a user's environment therefore cannot make the product write
weak slots or drop the unlock delay: the frozen build ignores them outright, and a source install
needs a long, deliberate token that only ``tests/conftest.py`` (and the benches) set.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from ..errors import KeySlotCorrupt

log = logging.getLogger(__name__)
PRODUCT_MEMORY_KIB = 64 * 1024
TARGET_SECONDS = 1.0
TEST_SUITE_TOKEN = "weak-keys-for-the-test-suite-only"
# What a slot may ask for. The upper ends are far above the product's tuning (64 MiB, ≤ 40 passes)
# and still finish in seconds on a 4 GiB laptop; the lower ends admit the test suite's cheap slots.
MEMORY_KIB_RANGE = (8 * 1024, 1024 * 1024)
ITERATIONS_RANGE = (1, 64)
LANES_RANGE = (1, 16)


@dataclass(frozen=True)
class KdfParams:
    memory_kib: int = PRODUCT_MEMORY_KIB
    iterations: int = 3
    lanes: int = 4

    def derive(self, secret: bytes, salt: bytes) -> bytes:
        check_bounds(self)
        kdf = Argon2id(salt=salt, length=32, iterations=self.iterations, lanes=self.lanes,
                       memory_cost=self.memory_kib)
        return kdf.derive(secret)


def _inside(value: int, bounds: tuple[int, int]) -> bool:
    return type(value) is int and bounds[0] <= value <= bounds[1]


def check_bounds(params: KdfParams) -> None:
    """Refuse parameters this program never writes: an edited slot must not hang or exhaust memory."""
    if not (_inside(params.memory_kib, MEMORY_KIB_RANGE) and _inside(params.iterations, ITERATIONS_RANGE)
            and _inside(params.lanes, LANES_RANGE)):
        raise KeySlotCorrupt(
            "密钥文件的参数超出允许范围，文件可能被改动过。",
            hint="没有尝试解锁，数据库没有改动。请用另一个用户的密码或恢复码解锁，或从备份恢复密钥文件。")


def test_overrides_allowed() -> bool:
    """Whether the cheap test parameters may be used (see the module docstring)."""
    return not getattr(sys, "frozen", False) and os.environ.get("FUPIN_TEST_SUITE") == TEST_SUITE_TOKEN


def _test_params() -> KdfParams | None:
    mem, its = os.environ.get("FUPIN_KDF_MEMORY_KIB"), os.environ.get("FUPIN_KDF_ITERATIONS")
    if not (mem or its):
        return None
    if not test_overrides_allowed():
        log.warning("FUPIN_KDF_* ignored: test-only settings outside the test suite")
        return None
    return KdfParams(memory_kib=int(mem or PRODUCT_MEMORY_KIB), iterations=int(its or 3))


def tuned_kdf_params(target_seconds: float = TARGET_SECONDS) -> KdfParams:
    """Argon2id parameters for new slots: 64 MiB, iterations tuned to about ``target_seconds``."""
    if (cheap := _test_params()) is not None:
        return cheap
    probe = KdfParams(iterations=2)
    started = time.perf_counter()
    probe.derive(b"probe", b"\0" * 16)
    per_iteration = max((time.perf_counter() - started) / 2, 1e-3)
    return KdfParams(iterations=max(2, min(40, round(target_seconds / per_iteration))))


def unlock_delay_base() -> float:
    """Seconds of delay after the first failed unlock (doubling after each further one)."""
    value = os.environ.get("FUPIN_UNLOCK_DELAY")
    if value is None or not test_overrides_allowed():
        return 1.0
    return float(value)
