#!/usr/bin/env bash
# 安装所需的一切并启动程序；没有数据库时先生成一个演示数据库（演示密码 demo-password）。
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh
STORE="$(python -c "from fupin_desktop.paths import default_store_dir; print(default_store_dir())")"
if [ ! -f "$STORE/store.json" ]; then
  echo "[fupin] 生成演示数据库：$STORE（用户 admin，密码 demo-password）" >&2
  FUPIN_PASSWORD=demo-password python main.py demo --store "$STORE" --households 300
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "${QT_QPA_PLATFORM:-}" != "offscreen" ]; then
  echo "[fupin] 没有图形界面（DISPLAY 未设置），在虚拟屏幕上启动。" >&2
  exec xvfb-run -a -s "-screen 0 1440x900x24" python main.py "$@"
fi
exec python main.py "$@"
