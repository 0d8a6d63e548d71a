"""The county server on the open network (issue 12, item 3): its own TLS with a county CA, slow
clients dropped, a lying Content-Length refused before the body, /acks telling no one which devices
exist, one device's uploads capped, killed uploads cleaned, and devices refusing plain http."""

from __future__ import annotations

import socket
import ssl
import threading
import time

import httpx
import pytest

from fupin_desktop.settings import Settings, save_settings
from fupin_desktop.sync.client import ServerRefused, ack_request, push
from fupin_desktop.sync.device import device_keys, pack_pending
from fupin_desktop.sync.transport import (
    ALLOW_HTTP_SETTING,
    InsecureServerAddressError,
    check_server_url,
)

from .county_net_support import (
    CountyServer,
    make_ca_and_server_cert,
    open_upload,
    seconds_until_closed,
)
from .sync_forge import imported_packages, outbox_files
from .sync_support import add_household, make_device, states


@pytest.fixture
def running(county, county_db_url, tmp_path):
    servers: list[CountyServer] = []

    def start(*flags: str, **kw) -> CountyServer:
        servers.append(CountyServer(county_db_url, tmp_path, *flags, **kw).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def _packages(tmp_path, store, count: int) -> list[bytes]:
    for _ in range(count):
        add_household(store)
        pack_pending(store)
    return [p.read_bytes() for p in outbox_files(store, tmp_path / f"out-{store.device_id[:6]}")]


def test_tls_round_trip_with_a_county_ca(tmp_path, county, running):
    engine, keys = county
    ca, cert, key = make_ca_and_server_cert(tmp_path)
    server = running("--certfile", str(cert), "--keyfile", str(key), ca=ca)
    verified = httpx.get(f"{server.url}/api/v1/health", verify=ssl.create_default_context(cafile=str(ca)))
    assert verified.json()["county"] == "测试县"
    with pytest.raises(httpx.ConnectError):  # the system's CAs do not know the county's CA
        httpx.get(f"{server.url}/api/v1/health")
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        add_household(store)
        with pytest.raises(ServerRefused, match="证书"):  # no county CA set yet: refused, not retried as a hiccup
            push(store, server.url, attempts=1)
        save_settings(Settings(county_server_ca_file=str(ca)), store.store_id, store.username)
        result = push(store, server.url)
        assert result.statuses == {1: "imported"} and result.ack is not None and set(states(store)) == {"已确认"}
    finally:
        store.close()


def test_slow_connections_are_dropped_at_the_timeout(tmp_path, county, running):
    engine, keys = county
    server = running("--header-timeout", "1", "--body-timeout", "1", "--device-uploads", "50", host="0.0.0.0")
    assert "明文" in server.output() and "警告" in server.output()  # plain http beyond loopback is announced
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        data = _packages(tmp_path, store, 1)[0]
    finally:
        store.close()
    stalled_headers = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(10)]
    for sock in stalled_headers:
        sock.sendall(b"POST /api/v1/packages HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    stalled_bodies = [open_upload(server.port, data, len(data) // 2) for _ in range(10)]
    trickles = [open_upload(server.port, data, 40) for _ in range(10)]
    stop = threading.Event()

    def trickle() -> None:  # one byte every 0.2 s keeps each connection "active" but far below any useful rate
        for i in range(40, len(data)):
            if stop.wait(0.2):
                return
            for sock in trickles:
                try:
                    sock.sendall(data[i:i + 1])
                except OSError:
                    pass

    threading.Thread(target=trickle, daemon=True).start()
    try:
        results = [seconds_until_closed(s, 8) for s in stalled_headers + stalled_bodies + trickles]
    finally:
        stop.set()
    assert all(seconds < 5 for seconds, _ in results), [s for s, _ in results]
    assert all(b" 408 " in answer for _, answer in results[10:]), [a[:40] for _, a in results[10:]]
    assert httpx.get(f"{server.url}/api/v1/health").status_code == 200
    assert not imported_packages(engine)


def test_an_over_limit_length_is_refused_before_the_body(county, running):
    server = running()
    sock = open_upload(server.port, b"", 0, length=10**12)  # headers only: not a byte of the body is sent
    seconds, answer = seconds_until_closed(sock, 5)
    assert answer.startswith(b"HTTP/1.1 413") and "超过大小上限".encode() in answer
    assert seconds < 2  # answered and closed without waiting for a terabyte


def test_acks_answer_the_same_for_unknown_and_foreign_devices(tmp_path, county, running):
    engine, keys = county
    server = running()
    a, b = make_device(tmp_path, "一号机", engine, keys), make_device(tmp_path, "二号机", engine, keys)
    try:
        with b.engine.connect() as conn:
            b_private = device_keys(conn).sign.private  # b, enrolled, asks for a's acknowledgment
        foreign = httpx.post(f"{server.url}/api/v1/acks", json=ack_request(a.device_id, b_private))
        unknown = httpx.post(f"{server.url}/api/v1/acks", json=ack_request("cd" * 16, b_private))
        garbled = httpx.post(f"{server.url}/api/v1/acks",
                             json={**ack_request("ef" * 16, b_private), "signature": "!!"})
        assert foreign.status_code == unknown.status_code == garbled.status_code == 403
        assert foreign.content == unknown.content == garbled.content
        assert foreign.headers.keys() == unknown.headers.keys()
    finally:
        a.close()
        b.close()


def test_one_device_gets_a_capped_number_of_uploads_at_once(tmp_path, county, running):
    engine, keys = county
    server = running("--device-uploads", "1")
    one, two = make_device(tmp_path, "一号机", engine, keys), make_device(tmp_path, "二号机", engine, keys)
    try:
        first, second = _packages(tmp_path, one, 2)
        other = _packages(tmp_path, two, 1)[0]
    finally:
        one.close()
        two.close()
    holding = open_upload(server.port, first, len(first) // 2)
    time.sleep(0.3)  # the server has read the frame and counted the upload
    busy = httpx.post(f"{server.url}/api/v1/packages", content=second)
    assert busy.status_code == 429 and busy.json()["code"] == "DEVICE_BUSY" and "上传正在进行" in busy.json()["message"]
    assert httpx.post(f"{server.url}/api/v1/packages", content=other).json()["status"] == "imported"
    holding.sendall(first[len(first) // 2:])  # the first upload completes; its slot is given back
    holding.settimeout(10)
    assert holding.recv(4096).startswith(b"HTTP/1.1 200")
    holding.close()
    assert httpx.post(f"{server.url}/api/v1/packages", content=second).json()["status"] == "imported"


def test_partial_uploads_stay_in_the_server_folder_and_are_cleaned_on_start(tmp_path, county, running):
    engine, keys = county
    spool = tmp_path / "spool"
    server = running("--upload-dir", str(spool))
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        data = _packages(tmp_path, store, 1)[0]
    finally:
        store.close()
    sock = open_upload(server.port, data, len(data) // 2)
    time.sleep(0.3)
    left = list(spool.rglob("*"))
    assert [p for p in left if p.is_file()], "the upload was not spooled in the server's folder"
    server.kill()
    sock.close()
    assert [p for p in spool.rglob("*") if p.is_file()], "a kill leaves the partial upload behind"
    server.start()
    assert not [p for p in spool.rglob("*") if p.is_file()]


def test_a_device_refuses_plain_http_beyond_this_machine(tmp_path, county):
    engine, keys = county
    store = make_device(tmp_path, "一号机", engine, keys)
    try:
        add_household(store)
        with pytest.raises(InsecureServerAddressError) as refused:
            push(store, "http://192.0.2.10:8765", attempts=1)
        assert ALLOW_HTTP_SETTING in refused.value.hint and "明文" in refused.value.message
        assert set(states(store)) == {"已打包"}  # nothing was sent, nothing marked
    finally:
        store.close()
    check_server_url("http://127.0.0.1:8765", allow_http=False)
    check_server_url("https://192.0.2.10", allow_http=False)
    check_server_url("http://192.0.2.10:8765", allow_http=True)
