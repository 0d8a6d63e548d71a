"""Helpers for the county-server network tests: `fupin county serve` in a subprocess with any flags,
a test CA and server certificate made with `cryptography`, raw sockets for slow or lying clients."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .conftest import COUNTY_PASSPHRASE

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CountyServer:
    def __init__(self, db_url: str, folder: Path, *flags: str, host: str = "127.0.0.1", ca: Path | None = None) -> None:
        self.db_url, self.folder, self.flags, self.host, self.ca = db_url, folder, flags, host, ca
        self.port = free_port()
        self.url = f"{'https' if ca else 'http'}://127.0.0.1:{self.port}"
        self.log = folder / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> CountyServer:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "main.py", "county", "serve", "--db-url", self.db_url, "--host", self.host,
                 "--port", str(self.port), *self.flags], cwd=ROOT, stdout=log, stderr=log,
                env={**os.environ, "FUPIN_COUNTY_PASSWORD": COUNTY_PASSPHRASE})
        deadline = time.monotonic() + 30
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=str(self.ca)) if self.ca else True
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1, verify=verify).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("the county server did not come up:\n" + self.output())

    def output(self) -> str:
        return self.log.read_text("utf-8", "replace")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def open_upload(port: int, data: bytes, sent: int, *, length: int | None = None) -> socket.socket:
    """A POST of a package declaring ``length`` (default: all of ``data``) with only ``sent`` bytes of body."""
    sock = socket.create_connection(("127.0.0.1", port))
    head = (f"POST /api/v1/packages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {len(data) if length is None else length}\r\n\r\n")
    sock.sendall(head.encode() + data[:sent])
    return sock


def seconds_until_closed(sock: socket.socket, limit: float) -> tuple[float, bytes]:
    """How long until the server closes ``sock`` (reading whatever it answered first)."""
    start, answer = time.monotonic(), b""
    sock.settimeout(limit)
    try:
        while chunk := sock.recv(4096):
            answer += chunk
    except TimeoutError:
        return float("inf"), answer
    except ConnectionResetError:
        pass
    return time.monotonic() - start, answer


# ---- a county CA and a server certificate for 127.0.0.1 ----------------------------------------------
def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _builder(subject: str, issuer: str, public: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer)).public_key(public)
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False))


def make_ca_and_server_cert(folder: Path) -> tuple[Path, Path, Path]:
    """(ca.pem, server.pem, server.key) — a county CA and a server certificate it signed for 127.0.0.1."""
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (_builder("测试县 CA", "测试县 CA", ca_key.public_key())
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    server = (_builder("127.0.0.1", "测试县 CA", server_key.public_key())
              .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                          x509.DNSName("localhost")]), critical=False)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    paths = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    return paths
