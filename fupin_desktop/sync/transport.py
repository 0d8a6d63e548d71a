"""How a device may reach the county server: https (trusting the county's own CA when one is set),
or plain http only to this machine — unless a setting accepts plain http on purpose (a test network,
a county that terminates TLS elsewhere). Plain http beyond loopback shows every request to the network."""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

import httpx

from ..errors import FupinError

ALLOW_HTTP_SETTING = "county_server_allow_http"
ALLOW_HTTP_LABEL = "允许用明文 http 连接县级服务器"


class InsecureServerAddressError(FupinError):
    exit_code = 11


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_server_url(url: str, *, allow_http: bool) -> None:
    parsed = httpx.URL(url)
    if parsed.scheme == "https" or allow_http or (parsed.scheme == "http" and is_loopback(parsed.host)):
        return
    if parsed.scheme != "http":
        raise InsecureServerAddressError(f"县级服务器地址应以 https:// 开头：{url}")
    raise InsecureServerAddressError(
        f"县级服务器地址 {url} 是明文 http，网络上的人可以看到和篡改上传，所以没有连接。",
        hint=f"请改用 https:// 地址；如确需明文，请在设置里勾选“{ALLOW_HTTP_LABEL}”（{ALLOW_HTTP_SETTING}）。")


def tls_verify(ca_file: str) -> ssl.SSLContext | bool:
    """The county CA alone when a CA file is set (a county CA signs only the county's server), else the system's."""
    if not ca_file:
        return True
    try:
        return ssl.create_default_context(cafile=str(Path(ca_file)))
    except (OSError, ssl.SSLError):
        raise InsecureServerAddressError(f"无法读取县级 CA 证书文件：{ca_file}",
                                    hint="请在设置里选择县里发的 CA 证书（PEM 格式）。") from None
