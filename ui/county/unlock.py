"""Opening the county workspace: the county database address (remembered) and the county passphrase
(never remembered), which unwraps the county's private keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fupin_desktop.county.db import open_county_db
from fupin_desktop.county.keys import load_county
from fupin_desktop.errors import FupinError

from ..errors import show_exception
from ..operations import Op
from ..qt import QDialog, QFormLayout, QLabel, QLineEdit, QPushButton


def open_county(url: str, passphrase: str) -> tuple[Any, Any]:
    """The engine and the unlocked keys; the engine is closed again if the passphrase is wrong."""
    engine = open_county_db(url, passphrase)
    try:
        return engine, load_county(engine, passphrase)
    except BaseException:
        engine.dispose()
        raise


class CountyUnlockDialog(QDialog):
    def __init__(self, db_url: str, *, on_unlocked: Callable[[Any, Any, str], None]) -> None:
        super().__init__()
        self.on_unlocked = on_unlocked
        self.setWindowTitle("扶贫档案 — 县级工作台")
        form = QFormLayout(self)
        form.addRow(QLabel("请输入县级密钥口令。口令解开县里的私钥，用来读取各村的变更包。"))
        self.url = QLineEdit(db_url, objectName="countyUrl")
        self.password = QLineEdit(objectName="countyPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.returnPressed.connect(self.try_unlock)
        form.addRow("县级数据库：", self.url)
        form.addRow("口令：", self.password)
        self.status = QLabel(objectName="countyUnlockStatus", wordWrap=True)
        self.status.setStyleSheet("color: #b00020")
        form.addRow(self.status)
        self.unlock_button = QPushButton("打开", objectName="countyUnlock")
        self.unlock_button.clicked.connect(self.try_unlock)
        form.addRow(self.unlock_button)
        self.resize(560, 200)

    def try_unlock(self) -> None:
        url, passphrase = self.url.text().strip(), self.password.text()
        self.unlock_button.setEnabled(False)
        self.status.setStyleSheet("color: #555")
        self.status.setText("正在打开……")

        def done(result: tuple[Any, Any]) -> None:
            engine, keys = result
            self.password.clear()
            self.close()
            self.on_unlocked(engine, keys, url)

        def failed(err: BaseException) -> None:
            self.unlock_button.setEnabled(True)
            self.status.setStyleSheet("color: #b00020")
            if not isinstance(err, FupinError):
                self.status.setText("")
                show_exception(self, err)
                return
            self.status.setText(err.message + (f"\n{err.hint}" if err.hint else ""))
            self.password.selectAll()

        Op(self, lambda: open_county(url, passphrase)).success(done).failure(failed).run()
