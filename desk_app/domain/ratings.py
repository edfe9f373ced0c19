"""A citizen's satisfaction rating as the payload of a RATED event: validation only, pure.

Used by the station's rating screen (through ``desk_app.services.ratings``) and by the
central server's public page alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from desk_app.domain.errors import InputErrors
from desk_app.domain.lifecycle import RATING_SOURCES, RatingLevel
from desk_app.textfold import normalize_text

CITIZEN_ACTOR = "cong_dan"  # the actor of every rating: the citizen, not an account
MAX_COMMENT = 1000
MAX_REASONS = 10
MAX_REASON_LEN = 200


def rating_payload(
    level: str, reasons: Iterable[str] = (), comment: str = "", source: str = "counter", **extra: str
) -> dict[str, Any]:
    """Validated payload of a RATED event; raises ``InputErrors`` (Vietnamese)."""
    errors: dict[str, str] = {}
    try:
        level_value = RatingLevel(level).value
    except ValueError:
        errors["level"] = "Hãy chọn một mức: Rất hài lòng, Hài lòng hoặc Không hài lòng."
        level_value = ""
    if source not in RATING_SOURCES:
        errors["source"] = "Nguồn đánh giá không hợp lệ."
    cleaned = [normalize_text(r)[:MAX_REASON_LEN] for r in reasons if normalize_text(r)]
    if len(cleaned) > MAX_REASONS:
        errors["reasons"] = f"Chọn tối đa {MAX_REASONS} lý do."
    text = normalize_text(comment or "")
    if len(text) > MAX_COMMENT:
        errors["comment"] = f"Ý kiến tối đa {MAX_COMMENT} ký tự."
    if errors:
        raise InputErrors(errors)
    payload: dict[str, Any] = {"level": level_value, "reasons": cleaned, "comment": text, "source": source}
    payload.update({k: v for k, v in extra.items() if v})
    return payload


def checked_rating_payload(data: Any) -> dict[str, Any]:
    """A payload built elsewhere (e.g. received over the LAN) validated again before it is stored:
    only the four fields of ``rating_payload``, with their types; raises ``InputErrors``."""
    if not isinstance(data, dict):
        raise InputErrors({"payload": "Đánh giá không hợp lệ."})
    unknown = set(data) - {"level", "reasons", "comment", "source"}
    reasons = data.get("reasons", [])
    fields = (data.get("level", ""), data.get("comment", ""), data.get("source", "counter"))
    if (
        unknown
        or not all(isinstance(v, str) for v in fields)
        or not isinstance(reasons, list)
        or not all(isinstance(r, str) for r in reasons)
    ):
        raise InputErrors({"payload": "Đánh giá không hợp lệ."})
    return rating_payload(fields[0], reasons, fields[1], fields[2])
