#!/usr/bin/env bash
# 安装所需的一切并运行全部测试。
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh
source scripts/postgres.sh
export QT_QPA_PLATFORM=offscreen
exec python -m pytest "$@"
