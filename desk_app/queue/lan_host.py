"""Start and stop this station's LAN queue host (the ``queue-host`` role) from its settings.

The host runs uvicorn in a background thread next to the station; a port in use
or a bad secret becomes a Vietnamese problem text, never an exception, so the
counter still opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desk_app.queue.client import QueueClient
    from desk_app.queue.host import QueueHost
    from desk_app.settings import DeviceSettings


def can_listen(host: str, port: int) -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            sock.bind((host, port))
    except OSError:
        return False
    return True


NO_SECRET = "Máy chủ xếp hàng chưa chạy: chưa đặt mã bí mật (motcua station set --queue-secret …)."


def start_host(
    service: Any, settings: DeviceSettings, secret: str
) -> tuple[QueueHost | None, QueueClient | None, str]:
    """Start the LAN queue API; ``(host, probe client, "")`` or ``(None, None, problem)``."""
    if not secret:
        return (
            None,
            None,
            "Máy chủ xếp hàng chưa chạy: chưa đặt mã bí mật (motcua station set --queue-secret …).",
        )
    from desk_app.queue.client import QueueClient
    from desk_app.queue.host import QueueHost

    try:
        host = QueueHost(service, secret, settings.host_listen, settings.host_port)
    except ValueError as exc:  # the secret breaks the rule
        return None, None, f"Máy chủ xếp hàng chưa chạy: {exc}"
    try:
        if not can_listen(settings.host_listen, settings.host_port):
            raise RuntimeError("port in use")  # checked first: uvicorn would sys.exit() in its thread
        host.start(timeout=5.0)  # binding a socket: milliseconds, or an immediate failure
    except RuntimeError:
        stop_host(host, wait=False)
        return (
            None,
            None,
            (
                f"Không khởi động được máy chủ xếp hàng trên cổng {settings.host_port} "
                "(cổng đang được chương trình khác dùng?). Hãy đổi cổng trong cài đặt."
            ),
        )
    return host, QueueClient(host.base_url, secret, timeout=1.0), ""


def stop_host(host: QueueHost, wait: bool = True) -> None:
    """Stop uvicorn and the host's single writer thread (it outlives uvicorn otherwise)."""
    host.stop()
    writer = getattr(host.app.state, "writer", None)
    if writer is not None:
        writer.shutdown(wait=wait)
