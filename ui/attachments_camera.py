"""A page photographed with the station's camera (QtMultimedia), where one exists.

Optional: on a station without a camera (or without QtMultimedia's backends)
``capture_page`` returns None and the caller says so.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QPushButton, QVBoxLayout, QWidget


def capture_page(parent: QWidget) -> bytes | None:
    try:
        from PySide6.QtMultimedia import QCamera, QImageCapture, QMediaCaptureSession, QMediaDevices
        from PySide6.QtMultimediaWidgets import QVideoWidget
    except ImportError:
        return None
    inputs = QMediaDevices.videoInputs()
    if not inputs:
        return None
    dialog = QDialog(parent)
    dialog.setWindowTitle("Chụp trang giấy tờ")
    layout = QVBoxLayout(dialog)
    view = QVideoWidget(dialog)
    layout.addWidget(view, 1)
    button = QPushButton("Chụp", dialog)
    layout.addWidget(button)
    camera = QCamera(inputs[0], dialog)
    capture = QImageCapture(dialog)
    session = QMediaCaptureSession(dialog)
    session.setCamera(camera)
    session.setImageCapture(capture)
    session.setVideoOutput(view)
    result: list[bytes] = []

    def captured(_id: int, image: QImage) -> None:
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buf, "PNG")  # type: ignore[call-overload]
        buf.close()
        result.append(bytes(data.data()))
        dialog.accept()

    capture.imageCaptured.connect(captured)
    button.clicked.connect(capture.capture)
    camera.start()
    dialog.resize(800, 600)
    dialog.exec()
    camera.stop()
    dialog.deleteLater()
    return result[0] if result else None
