"""The county server for real: `fupin county serve` in a subprocess on 127.0.0.1 against PostgreSQL,
devices pushing with sync.client; the server killed in the middle of uploads; its OpenAPI spec fuzzed."""

from __future__ import annotations

import itertools
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from fupin_desktop.county.importer import import_files
from fupin_desktop.county.server import create_app
from fupin_desktop.sync import crypto
from fupin_desktop.sync.client import ack_request, push
from fupin_desktop.sync.device import pack_pending

from .county_net_support import CountyServer, open_upload
from .sync_forge import fill_store, imported_packages, outbox_files, records_state, twin_county
from .sync_support import add_household, county_snapshot, make_device, states

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def server(county, county_db_url, tmp_path):
    running = CountyServer(county_db_url, tmp_path).start()
    yield running
    running.stop()


def _partial(server: CountyServer, data: bytes, fraction: float) -> socket.socket:
    """Begin a POST of ``data`` and send only part of the body; returns the still-open socket."""
    return open_upload(server.port, data, int(len(data) * fraction))


def test_push_over_the_network_and_the_acknowledgment(tmp_path, county, server):
    engine, keys = county
    health = httpx.get(f"{server.url}/api/v1/health").json()
    assert health["status"] == "ok" and health["county"] == "测试县"
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        add_household(store)
        result = push(store, server.url)
        assert result.statuses == {1: "imported"} and result.ack is not None
        assert set(states(store)) == {"已确认"}
        again = push(store, server.url)  # nothing left to send; the acknowledgment is fetched again
        assert again.statuses == {} and set(states(store)) == {"已确认"}
        # The acknowledgment is only for the device that signs the request with its own key.
        before = county_snapshot(engine)
        forged = ack_request(store.device_id, crypto.new_signing_key().private)
        response = httpx.post(f"{server.url}/api/v1/acks", json=forged)
        assert response.status_code == 403 and response.json()["code"] == "BAD_SIGNATURE"
        assert "签名" in response.json()["message"]
        garbled = {**forged, "signature": "!!not base64!!"}
        assert httpx.post(f"{server.url}/api/v1/acks", json=garbled).status_code == 403
        stranger = ack_request("ab" * 16, crypto.new_signing_key().private)
        unknown = httpx.post(f"{server.url}/api/v1/acks", json=stranger)
        assert (unknown.status_code, unknown.content) == (response.status_code, response.content)
        assert county_snapshot(engine) == before
        # A bad upload is refused with its code, and the refusal is a 400, not a crash.
        response = httpx.post(f"{server.url}/api/v1/packages", content=b"not a package",
                              headers={"Content-Type": "application/octet-stream"})
        assert response.status_code == 400 and response.json()["code"] == "NOT_A_PACKAGE"
    finally:
        store.close()


def test_server_killed_in_the_middle_of_uploads_loses_and_doubles_nothing(tmp_path, county, server):
    engine, keys = county
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        fill_store(store, 1200)
        pack_pending(store, max_entries=4000)
        paths = outbox_files(store, tmp_path / "outbox")
        assert len(paths) >= 3
        empty = county_snapshot(engine)
        # 1. The connection drops in the middle of the body: the server stays up, nothing is written.
        _partial(server, paths[0].read_bytes(), 0.5).close()
        time.sleep(0.2)
        assert httpx.get(f"{server.url}/api/v1/health").status_code == 200
        assert county_snapshot(engine) == empty
        # 2. The server is killed while a body is half sent: nothing is written.
        sock = _partial(server, paths[0].read_bytes(), 0.6)
        time.sleep(0.1)
        server.kill()
        sock.close()
        assert county_snapshot(engine) == empty
        server.start()
        # 3. The server is killed in the middle of a push (after the first package landed) and comes back:
        #    the device retries with back-off and carries on.
        failures: list[BaseException] = []

        def pushing() -> None:
            try:
                push(store, server.url, attempts=10, backoff=0.2)
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                failures.append(exc)

        worker = threading.Thread(target=pushing)
        worker.start()
        deadline = time.monotonic() + 30
        while not imported_packages(engine) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert imported_packages(engine), "the first package never arrived"
        server.kill()
        landed = len(imported_packages(engine))
        time.sleep(0.3)
        server.start()
        worker.join(timeout=60)
        assert not worker.is_alive() and not failures, failures
        assert landed < len(paths), "the push had finished before the kill; the test proved nothing"
        assert set(states(store)) == {"已确认"}
        packages = imported_packages(engine)
        assert len(packages) == len(paths) and set(packages.values()) == {"imported"}
        with twin_county(engine) as clean:
            import_files(clean, keys, paths)
            assert records_state(engine) == records_state(clean)
            assert imported_packages(clean) == packages
    finally:
        store.close()


# ---- the OpenAPI spec, fuzzed in process ---------------------------------------------------------------
def test_openapi_spec_fuzzed_no_server_errors(county):
    engine, keys = county
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(engine, keys))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} == {"/api/v1/health", "/api/v1/packages", "/api/v1/acks", "/api/v1/down"}
    seen: dict[str, set[int]] = {}
    # Negative cases (wrong types, missing fields) for the JSON body; any bytes are already "valid" for upload.
    runs = [(op, mode) for op, mode in itertools.product(operations, GenerationMode)
            if mode is GenerationMode.POSITIVE or op.path == "/api/v1/acks"]
    for operation, mode in runs:
        @given(case=operation.as_strategy(mode))
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case) -> None:
            response = case.call_and_validate(checks=[not_a_server_error])
            seen.setdefault(case.path, set()).add(response.status_code)

        fuzz()
    # The fuzzer got past the door: refusals were answered as refusals.
    assert seen["/api/v1/health"] == {200}
    assert 400 in seen["/api/v1/packages"] and 422 in seen["/api/v1/acks"], seen
