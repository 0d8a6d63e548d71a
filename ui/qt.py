"""Every Qt name the UI uses comes through here (one place to adapt to a Qt upgrade)."""

from PySide6.QtCore import (  # noqa: F401
    QAbstractNativeEventFilter, QAbstractTableModel, QEvent, QItemSelectionModel, QLibraryInfo,
    QTranslator, QModelIndex, QObject, QPoint, QPointF,
    QRect, QRectF, QSettings, QStandardPaths,
    QSize, QSortFilterProxyModel, Qt, QThread, QTimer, QtMsgType, Signal, Slot, qInstallMessageHandler,
)
from PySide6.QtGui import (  # noqa: F401
    QAction, QBrush, QColor, QFocusEvent, QFont, QFontDatabase, QFontMetrics, QGuiApplication, QIcon, QImage,
    QInputMethodEvent, QKeyEvent, QKeySequence, QPainter, QPalette, QScreen,
    QPixmap,
    QPen, QShortcut, QShowEvent, QStandardItem, QStandardItemModel, QTextDocument, QWheelEvent,
)
from PySide6.QtPrintSupport import QPrintDialog, QPrinter  # noqa: F401
from PySide6.QtWidgets import (  # noqa: F401
    QAbstractItemView, QAbstractScrollArea, QAbstractSpinBox, QApplication, QCheckBox, QComboBox, QCompleter,
    QDateEdit, QDialog, QDialogButtonBox,
    QDoubleSpinBox, QFileDialog, QFormLayout, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QHeaderView,
    QInputDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMainWindow, QMenu, QMessageBox,
    QPlainTextEdit, QProgressDialog, QPushButton, QRadioButton, QScrollArea, QSizePolicy, QSpinBox, QSplitter,
    QStatusBar,
    QStyledItemDelegate, QTabWidget, QTableView, QTableWidget, QTableWidgetItem, QTextEdit, QToolBar,
    QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget, QWizard, QWizardPage,
)
from shiboken6 import isValid  # noqa: F401  (whether Qt has already deleted a widget's C++ side)
