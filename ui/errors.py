"""The one place where an exception becomes a message for a person (in Chinese, with what to do)."""

from __future__ import annotations

import logging
import traceback

from fupin_desktop.errors import FupinError
from fupin_desktop.logs import exception_summary

from .qt import QMessageBox, QWidget

log = logging.getLogger(__name__)
_open_boxes: set[QMessageBox] = set()  # a box without a parent must outlive this function


def show_exception(parent: QWidget | None, err: BaseException) -> None:
    if isinstance(err, FupinError):
        box = QMessageBox(QMessageBox.Icon.Warning, "提示", err.message, QMessageBox.StandardButton.Ok, parent)
        if err.hint:
            box.setInformativeText(err.hint)
    else:
        # A bug, not the user's doing. The log gets the type and the code path only: an exception's
        # message can quote the data (a name, an ID number) and logs must never hold personal data.
        log.error("unexpected %s", exception_summary(err))
        from .crash import save_all_drafts  # noqa: PLC0415 (crash builds on this module)

        save_all_drafts()  # the message below promises the draft is kept
        box = QMessageBox(QMessageBox.Icon.Critical, "程序出错",
                          "程序遇到了意外错误，刚才的操作没有完成，已保存的数据不受影响。",
                          QMessageBox.StandardButton.Ok, parent)
        box.setInformativeText("您正在编辑的内容已保存为草稿，窗口没有关闭，可以继续工作。"
                               "如果问题反复出现，请用“工具 → 导出诊断信息”导出文件，交给县扶贫办技术人员。")
        box.setDetailedText("".join(traceback.format_exception(type(err), err, err.__traceback__)))
    box.setObjectName("errorBox")
    _open_boxes.add(box)
    box.finished.connect(lambda _r: _open_boxes.discard(box))
    box.open()
