#!/usr/bin/env bash
# 安装所需的一切并运行全部测试。
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh
source scripts/postgres.sh
export QT_QPA_PLATFORM=offscreen
# The linters first (issue 11): a finding fails the run as a failing test does. Configured in pyproject.toml.
ruff check .
mypy
lint-imports
exec python -m pytest "$@"
