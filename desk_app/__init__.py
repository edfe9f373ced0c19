"""MotCua Desk core: domain rules, local store, services and CLI (no Qt widgets)."""

__version__ = "0.1.0"
