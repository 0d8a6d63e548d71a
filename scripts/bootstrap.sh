#!/usr/bin/env bash
# Sets up everything Fupin Desktop needs on Debian/Ubuntu: system libraries for Qt, a CJK font,
# Xvfb and poppler (screenshots, PDF pages), PostgreSQL (county server), and a Python virtual
# environment in .venv with the project and its test tools. Safe to run again: it installs only
# what is missing. Sourced by start.sh and test.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '[fupin] %s\n' "$*" >&2; }
die() { printf '[fupin] 错误：%s\n' "$*" >&2; exit 1; }

APT_PACKAGES=(
  # Qt 6 (PySide6) on X11 / offscreen
  libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 libfontconfig1 libglib2.0-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-xfixes0 libxcb-xkb1 libx11-xcb1 libxrender1 libxi6
  # Chinese fonts: WenQuanYi Micro Hei for the UI, Droid Sans Fallback (a TrueType file) for PDFs,
  # HanaMin (fonts-hanazono) for the rare characters of names and places (CJK Extension A–F)
  fonts-wqy-microhei fonts-droid-fallback fonts-hanazono fontconfig
  # a virtual screen for screenshots, PDF → PNG for looking at forms
  xvfb xauth poppler-utils
  # the county server's database
  postgresql
  # PyInstaller (the desktop build, tests/test_build.py) reads libraries with objdump
  binutils
)

install_system_packages() {
  command -v dpkg >/dev/null 2>&1 || { say "不是 Debian/Ubuntu 系统：请自行安装 Qt 运行库、中文字体、Xvfb、poppler-utils 和 PostgreSQL。"; return 0; }
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "缺少系统软件包：${missing[*]}。请用管理员身份运行：apt-get install ${missing[*]}"
    sudo="sudo"
  fi
  say "安装系统软件包：${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  die "需要 Python 3.11 或更新版本（apt-get install python3 python3-venv）。"
}

setup_venv() {
  local py; py="$(find_python)"
  if [ ! -x "$VENV/bin/python" ]; then
    say "建立 Python 虚拟环境 $VENV"
    "$py" -m venv "$VENV" 2>/dev/null || {
      [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && "$py" -m venv "$VENV"
    } || die "无法建立虚拟环境：请安装 python3-venv。"
  fi
  local stamp="$VENV/.installed-$(sha1sum "$ROOT/pyproject.toml" | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    say "安装 Python 依赖（第一次需要几分钟）"
    local log="$VENV/pip-install.log"
    "$VENV/bin/python" -m pip install -q --upgrade pip >"$log" 2>&1 || true
    "$VENV/bin/python" -m pip install -q -e "$ROOT[test]" >>"$log" 2>&1 ||
      { tail -n 30 "$log" >&2; die "Python 依赖安装失败（需要能访问 PyPI），详见 $log。"; }
    rm -f "$VENV"/.installed-*
    touch "$stamp"
  fi
}

install_system_packages
setup_venv
export PATH="$VENV/bin:$PATH"
