"""The command line's parser speaks Chinese: argparse's own usage errors and headings, as a
clerk at a GBK console should read them (exit status 2, as argparse does)."""

from __future__ import annotations

import argparse
import re
from typing import Any, NoReturn

# argparse's own messages (Python 3.11).
_MESSAGES = (
    (r"the following arguments are required: (.*)", r"缺少必须给出的参数：\1"),
    (r"argument (.*?): invalid choice: (.*?) \(choose from (.*)\)", r"参数 \1 不能是 \2（可选：\3）"),
    (r"argument (.*?): not allowed with argument (.*)", r"参数 \1 不能与 \2 同时使用"),
    (r"argument (.*?): expected one argument", r"参数 \1 后面要跟一个值"),
    (r"argument (.*?): invalid int value: (.*)", r"参数 \1 应为整数，而不是 \2"),
    (r"argument (.*?): invalid float value: (.*)", r"参数 \1 应为数字，而不是 \2"),
    (r"argument (.*?): expected at least one argument", r"参数 \1 后面至少要跟一个值"),
    (r"argument (.*?): ignored explicit argument (.*)", r"参数 \1 不接受值 \2"),
    (r"unrecognized arguments: (.*)", r"无法识别的参数：\1"),
)


def chinese(message: str) -> str:
    for pattern, replacement in _MESSAGES:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


class ChineseArgumentParser(argparse.ArgumentParser):
    """Sub-commands made by ``add_subparsers`` are of the same class, so every command is covered."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._positionals.title, self._optionals.title = "参数", "选项"
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = "显示本帮助并退出"

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        if isinstance(action, argparse._VersionAction) and action.help == "show program's version number and exit":
            action.help = "显示版本号并退出"
        return action

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "用法：", 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage:", "用法：", 1)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.format_usage()}{self.prog}：错误：{chinese(message)}\n")
