"""Domain errors. Messages are Vietnamese because they reach counter staff."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken; the message is user-facing (Vietnamese)."""


class InvalidTransition(DomainError):
    """An action is not allowed in the dossier's current status."""

    def __init__(self, status: str, action: str, status_label: str, action_label: str):
        self.status = status
        self.action = action
        super().__init__(
            f"Không thể thực hiện “{action_label}” khi hồ sơ đang ở trạng thái "
            f"“{status_label}” (status={status}, action={action})."
        )


class ValidationError(DomainError):
    """User input failed validation; ``field`` names the offending input."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


class CodeSpaceExhausted(DomainError):
    """No dossier number is left for the day in the leased or fallback ranges."""


class InputErrors(DomainError):
    """Several fields failed validation at once; ``errors`` maps field -> message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(self.errors.values()))


class NotFound(DomainError):
    """A dossier, procedure or account that does not exist here."""
