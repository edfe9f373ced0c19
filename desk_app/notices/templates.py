"""Vietnamese notice texts as Jinja2 templates, editable per unit (meta ``settings.notice_templates``).

Templates run in Jinja2's sandbox: a unit's edited text can use the parameters and
filters, nothing else. A broken edited template falls back to the default so a
notice is never lost to a typo (the error is logged with the kind only).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

log = logging.getLogger(__name__)

META_TEMPLATES = "settings.notice_templates"

KINDS = ("received", "supplement", "late", "result_ready")
KIND_LABELS = {
    "received": "Tiếp nhận hồ sơ",
    "supplement": "Yêu cầu bổ sung hồ sơ",
    "late": "Hồ sơ trễ hạn – thư xin lỗi",
    "result_ready": "Đã có kết quả",
}

DEFAULTS: dict[str, tuple[str, str]] = {
    "received": (
        "Đã tiếp nhận hồ sơ {{ code }}",
        "Kính gửi ông/bà {{ name }},\n"
        "{{ body }} đã tiếp nhận hồ sơ {{ code }} ({{ procedure }}) lúc {{ received_at }}.\n"
        "Thời gian hẹn trả kết quả: {{ due_at }}.\n"
        "{% if lookup_url %}Tra cứu tiến độ: {{ lookup_url }}\n{% endif %}",
    ),
    "supplement": (
        "Hồ sơ {{ code }} cần bổ sung",
        "Kính gửi ông/bà {{ name }},\n"
        "Hồ sơ {{ code }} ({{ procedure }}) cần bổ sung, hoàn thiện các giấy tờ sau:\n"
        "{% for item in missing %}- {{ item }}\n{% endfor %}"
        "Xin mời ông/bà mang giấy tờ đến {{ body }}.\n",
    ),
    "late": (
        "Xin lỗi về việc chậm trả kết quả hồ sơ {{ code }}",
        "Kính gửi ông/bà {{ name }},\n"
        "{{ body }} chân thành xin lỗi vì hồ sơ {{ code }} ({{ procedure }}) chưa giải quyết xong "
        "đúng hẹn{% if reason %} ({{ reason }}){% endif %}.\n"
        "Thời gian hẹn trả kết quả mới: {{ due_at }}.\n",
    ),
    "result_ready": (
        "Hồ sơ {{ code }} đã có kết quả",
        "Kính gửi ông/bà {{ name }},\n"
        "Hồ sơ {{ code }} ({{ procedure }}) đã có kết quả. "
        "Xin mời ông/bà đến nhận tại {{ body }} trong giờ làm việc, mang theo giấy tiếp nhận hồ sơ.\n",
    ),
}

_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


def render(kind: str, params: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> Rendered:
    """The notice of ``kind`` with ``params``; a unit's edited template first, the default otherwise."""
    default_subject, default_body = DEFAULTS[kind]
    custom = (overrides or {}).get(kind)
    if isinstance(custom, Mapping):
        try:
            return Rendered(
                _env.from_string(str(custom.get("subject", default_subject))).render(params).strip(),
                _env.from_string(str(custom.get("body", default_body))).render(params),
            )
        except TemplateError:
            log.warning("edited notice template %s failed; the default text is used", kind)
    return Rendered(
        _env.from_string(default_subject).render(params).strip(),
        _env.from_string(default_body).render(params),
    )


def check_template(text: str) -> str:
    """'' when ``text`` compiles, else the error in Vietnamese (for the settings screen)."""
    try:
        _env.from_string(text)
    except TemplateError as exc:
        return f"Mẫu tin không hợp lệ: {exc}"
    return ""
