"""Procedure catalogue (danh mục TTHC) files: JSON schema, seed, .xlsx/.csv read and write.

No database access here: the desk's use cases (``desk_app.services.catalog``) and
the central server both use this module.

Provinces publish their catalogues as Excel sheets whose layout varies: title rows
above the header, header names with or without diacritics, fields given as a
column or as section rows ("I. LĨNH VỰC HỘ TỊCH"), components as one multi-line
cell. ``parse_catalog_file`` reads those and raises ``CatalogImportError`` listing
every bad row, so an import can be all-or-nothing.

Files come from outside: size, rows and cell length are capped (``MAX_FILE_BYTES``,
``MAX_ROWS``, ``MAX_CELL_CHARS``, ``MAX_XLSX_UNPACKED_BYTES``) and a damaged file
gives a Vietnamese reason, never a traceback. Exports go through
``desk_app.formats.spreadsheet`` so no cell becomes a formula.

Adding a column: one entry in ``COLUMNS`` (key, header), its header spellings in
``_HEADER_ALIASES``, how ``parse_rows`` reads it and how ``_EXPORT_CELLS`` writes it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from desk_app.domain.errors import DomainError, ValidationError
from desk_app.domain.model import (
    PROCEDURE_CODE_RE,
    Component,
    CutoffRule,
    FeeKind,
    FeeRule,
    Procedure,
    ProcessingTime,
    TimeKind,
)
from desk_app.formats import spreadsheet
from desk_app.textfold import fold

SEED_RESOURCE = ("resources", "catalog/seed_catalog.json")
SCHEMA_VERSION = 1

# Caps for files from outside. A national catalogue has a few thousand procedures;
# a province's file of every level is a few MB.
MAX_FILE_BYTES = 20 * 2**20
MAX_ROWS = 10_000  # non-empty rows, headings included
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_XLSX_UNPACKED_BYTES = 200 * 2**20  # an .xlsx is a zip: cap what it unpacks to


class CatalogImportError(DomainError):
    """A catalogue file has bad rows; ``errors`` lists (spreadsheet row, reason). Nothing was imported."""

    def __init__(self, errors: Sequence[tuple[int, str]], path: str | Path | None = None):
        self.errors: list[tuple[int, str]] = sorted(errors, key=lambda e: e[0])
        self.path = None if path is None else str(path)
        super().__init__(self._report())

    def _report(self) -> str:
        head = "Không nhập được danh mục thủ tục"
        if self.path:
            head += f" từ tệp “{Path(self.path).name}”"
        head += f": {len(self.errors)} lỗi, chưa nhập thủ tục nào."
        lines = [head]
        for row, reason in self.errors:
            lines.append(f"Dòng {row}: {reason}" if row > 0 else reason)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._report()


# ---------------------------------------------------------------- JSON schema
def procedure_to_dict(p: Procedure) -> dict[str, Any]:
    """Plain JSON-able dict (the seed file and sync schema)."""
    return {
        "code": p.code,
        "name": p.name,
        "field": p.field,
        "level": p.level,
        "lead_agency": p.lead_agency,
        "time": {"kind": p.time.kind.value, "days": p.time.days},
        "fee": {
            "kind": p.fee.kind.value,
            "amount": p.fee.amount,
            "later_amount": p.fee.later_amount,
            "later_from": p.fee.later_from,
            "cap": p.fee.cap,
            "note": p.fee.note,
        },
        "result": p.result,
        "components": [
            {
                "key": c.key,
                "name": c.name,
                "originals": c.originals,
                "certified_copies": c.certified_copies,
                "photocopies": c.photocopies,
                "alternatives": list(c.alternatives),
                "required": c.required,
            }
            for c in p.components
        ],
        "cutoff": p.cutoff.value,
        "source": p.source,
        "code_verified": p.code_verified,
    }


def _nfc(value: Any) -> str:
    return unicodedata.normalize("NFC", str(value or "")).strip()


def procedure_from_dict(d: dict[str, Any]) -> Procedure:
    """Inverse of ``procedure_to_dict``; missing optional keys take model defaults."""
    t = d["time"]
    time = (
        ProcessingTime.same_day()
        if t["kind"] == TimeKind.SAME_DAY.value
        else ProcessingTime.working_days(int(t["days"]))
    )
    f = d.get("fee") or {}
    fee = FeeRule(
        kind=FeeKind(f.get("kind", FeeKind.FREE.value)),
        amount=int(f.get("amount", 0)),
        later_amount=int(f.get("later_amount", 0)),
        later_from=int(f.get("later_from", 3)),
        cap=int(f.get("cap", 0)),
        note=_nfc(f.get("note", "")),
    )
    comps = tuple(
        Component(
            key=str(c["key"]),
            name=_nfc(c["name"]),
            originals=int(c.get("originals", 0)),
            certified_copies=int(c.get("certified_copies", 0)),
            photocopies=int(c.get("photocopies", 0)),
            alternatives=tuple(_nfc(a) for a in c.get("alternatives", ())),
            required=bool(c.get("required", True)),
        )
        for c in d.get("components", ())
    )
    return Procedure(
        code=str(d["code"]).strip(),
        name=_nfc(d["name"]),
        field=_nfc(d["field"]),
        time=time,
        fee=fee,
        result=_nfc(d.get("result", "")),
        components=comps,
        level=str(d.get("level", "xa")),
        lead_agency=_nfc(d.get("lead_agency", "")),
        cutoff=CutoffRule(d.get("cutoff", CutoffRule.HARD.value)),
        source=_nfc(d.get("source", "")),
        code_verified=bool(d.get("code_verified", False)),
    )


def load_seed() -> list[Procedure]:
    """The bundled seed catalogue (typical commune-level procedures)."""
    package, name = SEED_RESOURCE
    raw = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    data = json.loads(raw)
    return [procedure_from_dict(d) for d in data["procedures"]]


def dump_json(procedures: Iterable[Procedure]) -> str:
    return json.dumps(
        {"version": SCHEMA_VERSION, "procedures": [procedure_to_dict(p) for p in procedures]},
        ensure_ascii=False,
        indent=2,
    )


# ---------------------------------------------------------------- text parsers
_AMOUNT = r"(\d{1,3}(?:[.,]\d{3})+|\d+)\s*(?:dong|d|vnd)\b"
_AMOUNT_RE = re.compile(_AMOUNT)
_FREE_RE = re.compile(r"^(?:mien|khong(?!\s+qua)|chua|-+$|—|0\s*(?:dong|d)?$)")
_PER_PAGE_RE = re.compile(_AMOUNT + r"\s*/\s*trang")
_LATER_FROM_RE = re.compile(r"tu\s+trang\s+(?:thu\s+)?(\d+)")
_CAP_RE = re.compile(r"(?:toi da|khong qua|nhung khong qua)\s+(?:la\s+)?" + _AMOUNT)
_PER_COPY_RE = re.compile(_AMOUNT + r"\s*/\s*(?:01\s+|1\s+|mot\s+)?(?:ban|trich luc)\b")
_SAME_DAY_RE = re.compile(
    r"^(?:(?:ngay\s+|giai quyet\s+|tra ket qua\s+)?trong\s+(?:ngay|buoi)|ngay\s+(?:sau\s+)?khi)\b"
)
# The national portal prefixes times with the channel: "Trực tiếp: Trong ngày …"
_CHANNEL_PREFIX_RE = re.compile(
    r"^(?:nop\s+)?(?:truc tiep|truc tuyen|dich vu buu chinh(?: cong ich)?)\s*[:\-]?\s*"
)
_DAYS_RE = re.compile(r"(\d+)\s*(?:\(\s*[^)]*\)\s*)?\(?\s*ngay")


def _amount(text: str) -> int:
    return int(re.sub(r"[.,]", "", text))


def parse_time(text: str) -> ProcessingTime:
    """'Trong ngày', '03 ngày làm việc', 'Không quá 05 ngày làm việc' -> ProcessingTime.

    Conditional texts take their first clause ("Trong ngày; trường hợp cần xác
    minh không quá 05 ngày làm việc" is same day). Raises ValueError (Vietnamese).
    """
    raw = _nfc(text)
    if re.fullmatch(r"\d+(?:\.0+)?", raw):  # bare number cell: days
        raw = f"{int(float(raw))} ngày"
    f = _CHANNEL_PREFIX_RE.sub("", fold(raw))
    if not f:
        raise ValueError("thiếu thời hạn giải quyết")
    if _SAME_DAY_RE.search(f):
        return ProcessingTime.same_day()
    m = _DAYS_RE.search(f)
    if m is None:
        raise ValueError(
            f"không đọc được thời hạn giải quyết “{raw}” "
            "(ghi “Trong ngày” hoặc số ngày, ví dụ “03 ngày làm việc”)"
        )
    days = int(m.group(1))
    if days < 1:
        raise ValueError(f"thời hạn giải quyết “{raw}” phải từ 1 ngày làm việc trở lên hoặc “Trong ngày”")
    return ProcessingTime.working_days(days)


def time_text(t: ProcessingTime) -> str:
    """The way catalogues write it; ``parse_time`` reads it back."""
    if t.kind is TimeKind.SAME_DAY:
        return "Trong ngày"
    return f"{t.days:02d} ngày làm việc"


def _count(n: int) -> str:
    """Vietnamese digit grouping: 20.000."""
    return f"{n:,}".replace(",", ".")


def _vnd(amount: int) -> str:
    return _count(amount) + " đồng"


def fee_text(rule: FeeRule) -> str:
    """Canonical catalogue wording of a rule (ignoring its note)."""
    if rule.kind is FeeKind.FREE:
        return "Miễn phí"
    if rule.kind is FeeKind.FLAT:
        return f"{_vnd(rule.amount)}/hồ sơ"
    if rule.kind is FeeKind.PER_COPY:
        return f"{_vnd(rule.amount)}/bản"
    text = f"{_vnd(rule.amount)}/trang"
    if rule.later_amount != rule.amount:
        text += f"; từ trang thứ {rule.later_from} trở lên {_vnd(rule.later_amount)}/trang"
    if rule.cap:
        text += f", tối đa {_vnd(rule.cap)}/bản"
    return text


_PROVINCE_FEE_RE = re.compile(r"(?:hdnd|hoi dong nhan dan)\b.*\bquy dinh")


def parse_fee(text: str) -> FeeRule:
    """'Miễn phí', '8.000 đồng/bản', '2.000 đồng/trang; từ trang thứ 3 …' -> FeeRule.

    The original text is kept in ``note`` unless it is exactly the canonical
    wording of the parsed rule (so export -> import is lossless). Raises ValueError.
    """
    raw = _nfc(text)
    f = fold(raw)
    if not f or _FREE_RE.match(f) or (_PROVINCE_FEE_RE.search(f) and not _AMOUNT_RE.search(f)):
        # "do HĐND tỉnh quy định" without an amount: the province's own catalogue brings it
        rule = FeeRule(FeeKind.FREE)
    else:
        page = _PER_PAGE_RE.search(f)
        if page:
            amount = _amount(page.group(1))
            rest = f[page.end() :]
            later = _PER_PAGE_RE.search(rest)
            start = _LATER_FROM_RE.search(f)
            cap = _CAP_RE.search(f)
            rule = FeeRule(
                FeeKind.PER_PAGE,
                amount=amount,
                later_amount=_amount(later.group(1)) if later else amount,
                later_from=int(start.group(1)) if start and later else 3,
                cap=_amount(cap.group(1)) if cap else 0,
            )
        else:
            first = _AMOUNT_RE.search(f)
            if first is None:
                raise ValueError(
                    f"không đọc được mức phí, lệ phí “{raw}” "
                    "(ghi “Miễn phí” hoặc số tiền, ví dụ “8.000 đồng/bản”)"
                )
            per_copy = _PER_COPY_RE.search(f)
            if per_copy and per_copy.start() == first.start():
                rule = FeeRule(FeeKind.PER_COPY, amount=_amount(first.group(1)))
            else:
                rule = FeeRule(FeeKind.FLAT, amount=_amount(first.group(1)))
    if raw and raw != fee_text(rule):
        rule = replace(rule, note=raw)
    return rule


def _fee_cell(rule: FeeRule) -> str:
    return rule.note or fee_text(rule)


# ---- components
_KIND = (
    r"(chinh|sao\s+(?:co\s+)?chung\s+thuc|sao\s+y(?:\s+ban\s+chinh)?|sao|photo(?:copy)?|pho\s*to|chup|copy)"
)
_COUNT_RE = re.compile(r"(\d+)\s*ban\s*" + _KIND + r"(?:\s*(?:hoac|va|/)\s*(?:ban\s*)?" + _KIND + r")*")
_BULLET_RE = re.compile(r"^\s*(?:[-+•*–·]|\d{1,2}[.)]|[a-zđ][.)])\s+", re.IGNORECASE)
_OPTIONAL_RE = re.compile(r"\(?\s*nếu có\s*\)?", re.IGNORECASE)
_PRESENT_RE = re.compile(
    r"\(?\s*(?:(?:kèm\s+(?:theo\s+)?)?bản chính để đối chiếu|để đối chiếu|xuất trình)\s*\)?", re.IGNORECASE
)
_CONDITIONAL_RE = re.compile(r"^(?:truong hop|doi voi|neu|khi)\b")
_OR_RE = re.compile(r"\s+hoặc\s+", re.IGNORECASE)


def _fold_keep_len(text: str) -> str:
    """fold() that keeps one char per input char so regex spans map back to ``text``."""
    out = []
    for ch in text:
        f = fold(ch)
        out.append(f[:1] if f else " ")
    return "".join(out).lower()


def _counts(line: str) -> tuple[str, int, int, int, bool]:
    """Strip count phrases from a component line; return (rest, originals, certified, photo, found)."""
    folded = _fold_keep_len(line)
    orig = cert = photo = 0
    found = False
    spans = []
    for m in _COUNT_RE.finditer(folded):
        found = True
        n = int(m.group(1))
        kind = m.group(2)
        if kind == "chinh":
            orig += n
        elif kind.startswith(("photo", "pho", "chup", "copy")):
            photo += n
        else:  # "bản sao" means a valid copy (certified / from the register)
            cert += n
        spans.append(m.span())
    for start, end in reversed(spans):
        line = line[:start] + line[end:]
    return line, orig, cert, photo, found


def _clean_name(text: str) -> str:
    text = re.sub(r"\(\s*(?:(?:[,;:+]|và)\s*)*\)", "", text)  # parentheses left empty by _counts
    text = re.sub(r"\s+", " ", text).strip()
    text = text.strip(" \t:;,.-–")
    text = re.sub(r"\s*\(\s*$", "", text).strip(" :;,.-–")
    return text


def _cap_first(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def component_key(name: str) -> str:
    """Short snake_case ASCII key from a component name: first four words folded."""
    words = re.findall(r"[a-z0-9]+", fold(name))
    return "_".join(words[:4]) or "giay_to"


def parse_components(text: str, keys: Sequence[str] = ()) -> tuple[Component, ...]:
    """A multi-line 'Thành phần hồ sơ' cell -> components.

    Bulleted lines ('-', '+', '1.', 'a)') are components; unbulleted lines continue
    the previous one; a line ending in ':' without counts is a group heading.
    Counts come from '(01 bản chính)', '02 bản sao', '01 bản photo'; none given
    means one original, '(xuất trình)' (or a 'Giấy tờ phải xuất trình:' group)
    means shown only. 'hoặc' separates alternatives. '(nếu có)' and lines opening
    with 'Trường hợp …'/'Đối với …' are optional. ``keys`` (one per component)
    override keys derived from the names.
    """
    lines = [_nfc(ln) for ln in _nfc(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [ln for ln in lines if ln]
    bulleted = any(_BULLET_RE.match(ln) for ln in lines)
    items: list[str] = []
    for ln in lines:
        if not bulleted or _BULLET_RE.match(ln) or not items:
            items.append(_BULLET_RE.sub("", ln, count=1))
        else:
            items[-1] += " " + ln
    comps: list[Component] = []
    used: set[str] = set()
    group_shown = False  # under "Giấy tờ phải xuất trình:" papers are shown, not handed in
    for item in items:
        rest, orig, cert, photo, found = _counts(item)
        if not found and rest.rstrip().endswith(":"):
            group_shown = "xuat trinh" in fold(rest)
            continue  # heading such as "Giấy tờ phải nộp:"
        # "Trường hợp …", "Đối với …", "Nếu …": a paper needed only in some cases
        required = not _CONDITIONAL_RE.match(fold(rest))
        if _OPTIONAL_RE.search(rest):
            required = False
            rest = _OPTIONAL_RE.sub("", rest)
        shown = (group_shown or bool(_PRESENT_RE.search(rest))) and not found
        rest = _PRESENT_RE.sub("", rest)
        if not found and not shown:
            orig = 1
        parts = [_cap_first(_clean_name(p)) for p in _OR_RE.split(rest)]
        parts = [p for p in parts if p]
        if not parts:
            continue
        idx = len(comps)
        key = keys[idx] if idx < len(keys) and keys[idx] else component_key(parts[0])
        base, n = key, 2
        while key in used:
            key, n = f"{base}_{n}", n + 1
        used.add(key)
        comps.append(Component(key, parts[0], orig, cert, photo, tuple(parts[1:]), required))
    return tuple(comps)


def components_text(components: Sequence[Component]) -> str:
    """Catalogue wording of components; ``parse_components`` reads it back."""
    lines = []
    for c in components:
        counts = []
        if c.originals:
            counts.append(f"{c.originals:02d} bản chính")
        if c.certified_copies:
            counts.append(f"{c.certified_copies:02d} bản sao chứng thực")
        if c.photocopies:
            counts.append(f"{c.photocopies:02d} bản photo")
        label = ", ".join(counts) or "xuất trình"
        optional = " (nếu có)" if not c.required else ""
        lines.append(f"- {c.display_name}{optional} ({label})")
    return "\n".join(lines)


# ---- level
_LEVELS = (("xa", "xa"), ("phuong", "phuong"), ("dac khu", "dac_khu"), ("huyen", "huyen"), ("tinh", "tinh"))
_LEVEL_TEXT = {
    "xa": "Cấp xã",
    "phuong": "Phường",
    "dac_khu": "Đặc khu",
    "huyen": "Cấp huyện",
    "tinh": "Cấp tỉnh",
}


def parse_level(text: str) -> str:
    f = fold(text)
    if not f:
        return "xa"
    for needle, level in _LEVELS:  # several levels listed: a commune desk wants its own
        if re.search(rf"\b{needle}\b", f):
            return level
    raise ValueError(f"không rõ cấp thực hiện “{_nfc(text)}” (cấp xã, phường, đặc khu, huyện hoặc tỉnh)")


# ---------------------------------------------------------------- spreadsheet layout
COLUMNS: tuple[tuple[str, str], ...] = (
    ("stt", "STT"),
    ("code", "Mã thủ tục"),
    ("name", "Tên thủ tục"),
    ("field", "Lĩnh vực"),
    ("level", "Cấp thực hiện"),
    ("time", "Thời hạn giải quyết"),
    ("fee", "Phí, lệ phí"),
    ("components", "Thành phần hồ sơ"),
    ("result", "Kết quả"),
    ("agency", "Cơ quan thực hiện"),
    ("keys", "Mã thành phần hồ sơ"),  # ours: keeps component keys stable across export/import
    # ours, optional on import: the legal metadata of a row (see resources/catalog/README.md)
    ("cutoff", "Sau 15 giờ"),
    ("source", "Nguồn"),
    ("verified", "Mã đã xác minh"),
)

_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "stt": ("stt", "tt", "so tt", "so thu tu"),
    "code": ("ma thu tuc", "ma tthc", "ma so", "ma so tthc", "ma thu tuc hanh chinh", "ma", "ma so thu tuc"),
    "name": ("ten thu tuc", "ten tthc", "ten thu tuc hanh chinh", "thu tuc hanh chinh", "ten"),
    "field": ("linh vuc", "ten linh vuc"),
    "level": ("cap thuc hien", "cap", "cap giai quyet"),
    "time": ("thoi han giai quyet", "thoi gian giai quyet", "thoi han", "thoi gian"),
    "fee": ("phi le phi", "le phi", "phi", "muc phi le phi", "phi le phi neu co", "le phi phi"),
    "components": ("thanh phan ho so", "ho so", "thanh phan so luong ho so", "thanh phan ho so gom"),
    "result": ("ket qua", "ket qua giai quyet", "ket qua thuc hien", "ket qua giai quyet tthc"),
    "agency": (
        "co quan thuc hien",
        "co quan chu tri",
        "co quan giai quyet",
        "co quan chu tri giai quyet",
        "co quan thuc hien chu tri",
        "co quan co tham quyen",
    ),
    "keys": ("ma thanh phan ho so", "ma thanh phan"),
    "cutoff": ("sau 15 gio", "moc 15 gio"),
    "source": ("nguon", "nguon du lieu"),
    "verified": ("ma da xac minh",),
}
_REQUIRED = ("code", "name", "time")
_HEADER_SCAN_ROWS = 30


def _norm_header(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


def _match_header(text: str) -> str | None:
    h = _norm_header(text)
    if not h:
        return None
    for col, aliases in _HEADER_ALIASES.items():
        if h in aliases:
            return col
    best: tuple[int, str] | None = None  # longest multi-word alias the header starts with
    for col, aliases in _HEADER_ALIASES.items():
        for a in aliases:
            if " " in a and h.startswith(a + " ") and (best is None or len(a) > best[0]):
                best = (len(a), col)
    return None if best is None else best[1]


def _find_header(rows: Sequence[tuple[int, list[str]]]) -> tuple[int, dict[str, int]] | None:
    for pos, (_rowno, cells) in enumerate(rows[:_HEADER_SCAN_ROWS]):
        mapping: dict[str, int] = {}
        for i, cell in enumerate(cells):
            col = _match_header(cell)
            if col and col not in mapping:
                mapping[col] = i
        if all(c in mapping for c in ("code", "name")):
            return pos, mapping
    return None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            value = int(value)
        elif round(value, 6) == value:  # Excel turned the code "1.000600" into the number 1.0006
            value = f"{value:.6f}"
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    return unicodedata.normalize("NFC", str(value)).strip()


def _file_error(path: Path, reason: str) -> CatalogImportError:
    return CatalogImportError([(0, reason)], path)


class _RowCollector:
    """Rows as read, with the caps on row count and cell length checked as they come."""

    def __init__(self, path: Path, unescape: bool = False) -> None:
        self.path = path
        self.unescape = unescape
        self.rows: list[tuple[int, list[str]]] = []
        self.filled = 0

    def add(self, rowno: int, values: Iterable[Any]) -> None:
        cells = [_cell_text(v) for v in values]
        if self.unescape:  # the desk's own CSV export quotes formula-like text
            cells = [spreadsheet.unescape_cell(c) for c in cells]
        if any(cells):
            self.filled += 1
            if self.filled > MAX_ROWS:
                raise _file_error(
                    self.path,
                    f"Tệp có hơn {_count(MAX_ROWS)} dòng, quá lớn cho một danh mục thủ tục: "
                    "hãy kiểm tra lại tệp hoặc tách thành nhiều tệp.",
                )
        for col, cell in enumerate(cells, start=1):
            if len(cell) > MAX_CELL_CHARS:
                raise CatalogImportError(
                    [
                        (
                            rowno,
                            f"ô ở cột {col} dài {_count(len(cell))} ký tự, quá giới hạn "
                            f"{_count(MAX_CELL_CHARS)} ký tự của một ô "
                            "(tệp có thể bị hỏng hoặc dán nhầm nội dung)",
                        )
                    ],
                    self.path,
                )
        self.rows.append((rowno, cells))


_DAMAGED_XLSX = (
    "Tệp Excel bị hỏng hoặc không phải tệp .xlsx (có thể tải về chưa hết): "
    "hãy tải lại tệp, hoặc mở bằng Excel và lưu lại dạng .xlsx."
)


def _check_xlsx_container(path: Path) -> None:
    """Refuse what is not a zip, or unpacks to far more than a catalogue (zip bomb)."""
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _file_error(path, _DAMAGED_XLSX) from exc
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise _file_error(
            path,
            f"Tệp Excel giải nén ra hơn {MAX_XLSX_UNPACKED_BYTES // 2**20} MB, "
            "quá lớn cho một danh mục thủ tục.",
        )


def _read_xlsx(path: Path) -> list[tuple[int, list[str]]]:
    import openpyxl

    _check_xlsx_container(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except CatalogImportError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged file (KeyError, zlib.error, …)
        raise _file_error(path, _DAMAGED_XLSX) from exc
    try:
        sheets: list[list[tuple[int, list[str]]]] = []
        for ws in wb.worksheets:
            ws.reset_dimensions()  # some generators write a wrong <dimension>
            collector = _RowCollector(path)
            for i, row in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1):
                collector.add(i, row)
            if _find_header(collector.rows) is not None:
                return collector.rows
            sheets.append(collector.rows)
        return sheets[0] if sheets else []
    except CatalogImportError:
        raise
    except Exception as exc:
        raise _file_error(path, _DAMAGED_XLSX) from exc
    finally:
        wb.close()


def _read_csv(path: Path) -> list[tuple[int, list[str]]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _file_error(
            path,
            "Tệp CSV không ở mã UTF-8: hãy mở bằng Excel và lưu lại dạng “CSV UTF-8 (Comma delimited)”.",
        ) from exc
    if "\x00" in text:
        raise _file_error(path, "Tệp không phải tệp CSV (có ký tự nhị phân): hãy kiểm tra lại tệp.")
    # One CSV record is one spreadsheet row (multi-line cells included). Excel in a
    # Vietnamese locale may write ';': take the delimiter under which a header shows up.
    first: list[tuple[int, list[str]]] = []
    for delimiter in (",", ";", "\t"):
        collector = _RowCollector(path, unescape=True)
        try:
            for i, rec in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
                collector.add(i, rec)
        except csv.Error as exc:
            raise _file_error(path, f"Tệp CSV sai cấu trúc ({exc}): hãy mở bằng Excel và lưu lại.") from exc
        if _find_header(collector.rows) is not None:
            return collector.rows
        first = first or collector.rows
    return first


def _read_rows(path: Path) -> list[tuple[int, list[str]]]:
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv", ".txt"):
        raise _file_error(path, f"Không hỗ trợ loại tệp “{path.suffix}”: chỉ nhận .xlsx hoặc .csv.")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _file_error(
            path,
            f"Tệp nặng {size / 2**20:.0f} MB, vượt giới hạn {MAX_FILE_BYTES // 2**20} MB của một "
            "danh mục thủ tục: hãy kiểm tra lại tệp hoặc tách thành nhiều tệp.",
        )
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    return _read_csv(path)


def _field_from_section(cells: Sequence[str], stt: str) -> str | None:
    """'I. LĨNH VỰC HỘ TỊCH' or 'II | Chứng thực' -> the field name ('Hộ tịch', 'Chứng thực')."""
    name = ""
    for cell in cells:
        m = re.search(r"lĩnh\s+vực\s*:?\s*(.+)$", cell, re.IGNORECASE)
        if m:
            name = m.group(1)
            break
    else:
        texts = [c for c in cells if c and c != stt]
        if _ROMAN_RE.match(stt) and len(texts) == 1:
            name = re.sub(r"^[IVXLC]+[.)]\s*", "", texts[0])
    name = name.strip(" .:")
    if not name:
        return None
    return _cap_first(name.lower()) if name.isupper() else name


_ROMAN_RE = re.compile(r"^[IVXLC]+[.)]?$")
_COLNUM_RE = re.compile(r"^\(?\d{1,2}\)?$")


def _normalize_code(code: str) -> str:
    code = re.sub(r"\s+", "", code).rstrip(".")
    return re.sub(r"\.h(\d{2})$", r".H\1", code)


def parse_rows(rows: Sequence[tuple[int, list[str]]], path: str | Path | None = None) -> list[Procedure]:
    """Rows of (spreadsheet row number, cell texts) -> procedures, or CatalogImportError."""
    found = _find_header(rows)
    if found is None:
        raise CatalogImportError(
            [(0, "Không tìm thấy dòng tiêu đề: cần có ít nhất các cột “Mã thủ tục” và “Tên thủ tục”.")], path
        )
    pos, cols = found
    header_row = rows[pos][0]
    errors: list[tuple[int, str]] = []
    missing = [c for c in _REQUIRED if c not in cols]
    if missing:
        labels = dict(COLUMNS)
        errors.append((header_row, "thiếu cột " + ", ".join(f"“{labels[c]}”" for c in missing)))
        raise CatalogImportError(errors, path)

    def get(cells: list[str], col: str) -> str:
        i = cols.get(col)
        return cells[i] if i is not None and i < len(cells) else ""

    procs: list[Procedure] = []
    seen: dict[str, int] = {}
    section_field = ""
    for rowno, cells in rows[pos + 1 :]:
        if not any(cells):
            continue
        code, name = get(cells, "code"), get(cells, "name")
        content = [get(cells, c) for c in ("time", "fee", "components", "result")]
        if all(_COLNUM_RE.match(c) for c in cells if c):
            continue  # the "(1) (2) (3) …" row under some headers
        if not any(content):
            # heading row: "I | LĨNH VỰC HỘ TỊCH" (often merged across the code/name columns)
            section = _field_from_section(cells, get(cells, "stt"))
            if section:
                section_field = section
                continue
            if not code:
                if name and not name.isupper():  # "A. THỦ TỤC CẤP XÃ" is a heading too
                    errors.append((rowno, f"thiếu mã thủ tục (thủ tục “{name}”)"))
                continue
        reasons: list[str] = []
        code = _normalize_code(code)
        if not code:
            reasons.append("thiếu mã thủ tục")
        elif not PROCEDURE_CODE_RE.match(code):
            reasons.append(
                f"mã thủ tục “{code}” sai định dạng (phải có dạng 1.001193 hoặc 1.001193.000.00.00.H12)"
            )
        elif code in seen:
            reasons.append(f"mã thủ tục “{code}” trùng với dòng {seen[code]}")
        if not name:
            reasons.append("thiếu tên thủ tục")
        field = get(cells, "field") or section_field
        if not field:
            reasons.append("thiếu lĩnh vực (cột “Lĩnh vực” hoặc dòng “LĨNH VỰC …” phía trên)")
        if field.isupper():
            field = _cap_first(field.lower())
        time: ProcessingTime | None = None
        fee = FeeRule()
        level = "xa"
        try:
            time = parse_time(get(cells, "time"))
        except ValueError as exc:
            reasons.append(str(exc))
        try:
            fee = parse_fee(get(cells, "fee"))
        except ValueError as exc:
            reasons.append(str(exc))
        try:
            level = parse_level(get(cells, "level"))
        except ValueError as exc:
            reasons.append(str(exc))
        keys = [k.strip() for k in get(cells, "keys").splitlines() if k.strip()]
        bad_keys = [k for k in keys if not re.fullmatch(r"[a-z0-9_]+", k)]
        if bad_keys:
            reasons.append(
                f"mã thành phần hồ sơ không hợp lệ: {', '.join(bad_keys)} (chỉ chữ thường, số, “_”)"
            )
        components = parse_components(get(cells, "components"), keys)
        cutoff, source, verified = _legal_cells(get, cells, reasons)
        if code and code not in seen:
            seen[code] = rowno
        if reasons:
            errors.extend((rowno, r) for r in reasons)
            continue
        assert time is not None
        procs.append(
            Procedure(
                code=code,
                name=" ".join(name.split()),
                field=field,
                time=time,
                fee=fee,
                result=get(cells, "result"),
                components=components,
                level=level,
                lead_agency=get(cells, "agency"),
                cutoff=cutoff,
                source=source,
                code_verified=verified,
            )
        )
    if errors:
        raise CatalogImportError(errors, path)
    if not procs:
        raise CatalogImportError([(header_row, "không có thủ tục nào dưới dòng tiêu đề")], path)
    return procs


_CUTOFF_TEXT = {
    CutoffRule.NONE: "Không áp dụng",
    CutoffRule.HARD: "Trả ngày làm việc tiếp theo",
    CutoffRule.CONDITIONAL: "Trả ngay nếu giải quyết được",
}


def _legal_cells(get: Any, cells: list[str], reasons: list[str]) -> tuple[CutoffRule, str, bool]:
    """The optional cut-off / source / verified cells; a province's sheet has none of them."""
    cutoff = CutoffRule.HARD
    text = fold(get(cells, "cutoff"))
    if text:
        found = [rule for rule, label in _CUTOFF_TEXT.items() if fold(label) == text or rule.value == text]
        if found:
            cutoff = found[0]
        else:
            reasons.append(
                f"cột “Sau 15 giờ” không hợp lệ: “{get(cells, 'cutoff')}” "
                f"(ghi {', '.join(f'“{t}”' for t in _CUTOFF_TEXT.values())})"
            )
    verified = fold(get(cells, "verified")) in ("co", "x", "1", "true")
    return cutoff, get(cells, "source"), verified


def parse_catalog_file(path: str | Path) -> list[Procedure]:
    """A province's published catalogue (.xlsx or .csv) -> procedures.

    Every row must be valid, otherwise CatalogImportError lists all bad rows.
    """
    p = Path(path)
    return parse_rows(_read_rows(p), p)


# ---------------------------------------------------------------- export
# One writer per column of COLUMNS: (row number, procedure) -> cell value.
_EXPORT_CELLS: dict[str, Callable[[int, Procedure], Any]] = {
    "stt": lambda i, _p: i,
    "code": lambda _i, p: p.code,
    "name": lambda _i, p: p.name,
    "field": lambda _i, p: p.field,
    "level": lambda _i, p: _LEVEL_TEXT.get(p.level, p.level),
    "time": lambda _i, p: time_text(p.time),
    "fee": lambda _i, p: _fee_cell(p.fee),
    "components": lambda _i, p: components_text(p.components),
    "result": lambda _i, p: p.result,
    "agency": lambda _i, p: p.lead_agency,
    "keys": lambda _i, p: "\n".join(c.key for c in p.components),
    "cutoff": lambda _i, p: _CUTOFF_TEXT[p.cutoff],
    "source": lambda _i, p: p.source,
    "verified": lambda _i, p: "Có" if p.code_verified else "Chưa",
}


def export_rows(procedures: Iterable[Procedure]) -> Iterator[list[Any]]:
    """Cell values in the order of ``COLUMNS``, one list per procedure."""
    for i, p in enumerate(procedures, start=1):
        yield [_EXPORT_CELLS[key](i, p) for key, _label in COLUMNS]


_XLSX_WIDTHS = {"stt": 5, "code": 24, "name": 40, "field": 16, "level": 10, "time": 16, "fee": 24}
_XLSX_WIDTHS |= {"components": 60, "result": 28, "agency": 20, "keys": 20}
_XLSX_WIDTHS |= {"cutoff": 18, "source": 40, "verified": 10}


def write_catalog_file(procedures: Iterable[Procedure], path: str | Path) -> int:
    """Write .csv (UTF-8 with BOM, for Excel) or .xlsx in the import layout; returns the row count.

    Text that a spreadsheet would run as a formula is written as text.
    """
    p = Path(path)
    procs = list(procedures)
    header = [label for _key, label in COLUMNS]
    suffix = p.suffix.lower()
    if suffix == ".csv":
        with p.open("w", encoding="utf-8-sig", newline="") as fh:
            spreadsheet.write_csv(fh, header, export_rows(procs))
    elif suffix == ".xlsx":
        import openpyxl
        from openpyxl.styles import Alignment, Font
        from openpyxl.utils import get_column_letter

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Danh mục TTHC"
        ws.append(["DANH MỤC THỦ TỤC HÀNH CHÍNH"])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append([])
        for cell in spreadsheet.append_xlsx_row(ws, header):
            cell.font = Font(bold=True)
        wrap = Alignment(wrap_text=True, vertical="top")
        for row in export_rows(procs):
            for cell in spreadsheet.append_xlsx_row(ws, row):
                cell.alignment = wrap
        for n, (key, _label) in enumerate(COLUMNS, start=1):
            ws.column_dimensions[get_column_letter(n)].width = _XLSX_WIDTHS.get(key, 20)
        wb.save(p)
    else:
        raise ValidationError("file", f"Không hỗ trợ xuất ra loại tệp “{p.suffix}”: chỉ .xlsx hoặc .csv.")
    return len(procs)


__all__ = [
    "COLUMNS",
    "MAX_CELL_CHARS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "MAX_XLSX_UNPACKED_BYTES",
    "CatalogImportError",
    "component_key",
    "components_text",
    "dump_json",
    "export_rows",
    "fee_text",
    "load_seed",
    "parse_catalog_file",
    "parse_components",
    "parse_fee",
    "parse_level",
    "parse_rows",
    "parse_time",
    "procedure_from_dict",
    "procedure_to_dict",
    "time_text",
    "write_catalog_file",
]
