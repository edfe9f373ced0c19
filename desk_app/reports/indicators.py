"""Aggregates of per-dossier facts, the 766 indicators and the penalty preview.

Pure: no database, no Qt (the central server runs the same code).

Sources used for the formulas (public material found with the project's
search tool; treat as leads, the decision text is law):

* Quyết định 766/QĐ-TTg (23/6/2022), "Bộ chỉ số chỉ đạo, điều hành và đánh giá
  chất lượng phục vụ người dân, doanh nghiệp trong thực hiện thủ tục hành chính,
  dịch vụ công theo thời gian thực trên môi trường điện tử": five groups
  (công khai minh bạch; tiến độ, kết quả giải quyết; số hóa hồ sơ; cung cấp dịch
  vụ trực tuyến; mức độ hài lòng) — summary published by the Cục Tin học hóa
  (aita.gov.vn) and transcriptions (vietjack.me, lamdong.dcs.vn), e.g. "Tỷ lệ hài
  lòng trong tiếp nhận, giải quyết TTHC = (Tổng số hồ sơ TTHC − Số hồ sơ không hài
  lòng hoặc có phản ánh, kiến nghị về việc tiếp nhận, giải quyết, quá hạn) /
  Tổng số hồ sơ TTHC có thẩm quyền giải quyết × 100%".
* Project domain notes (shared/DOMAIN.md) for 2.1 (on time, citizen's
  supplement time excluded, more than one supplement request = late), 4.2
  (files in components and result, full marks at ≥ 80%) and 5.4 (100% −
  (overdue % + complaints %), full marks at ≥ 90%).
* The text "Mô tả công thức tính chỉ số 766" itself was NOT found in the stored
  corpora, nor the per-indicator point scales other than the two thresholds
  above; indicators therefore show their rate, and points only where the
  threshold is known.
* Thông tư 01/2020/TT-VPCP form 06a/VPCP/KSTT: its text was not found either;
  the periodic report's columns follow the tables provinces publish from it
  (e.g. Đắk Nông 6/2021: "hồ sơ tiếp nhận trực tuyến, hồ sơ kỳ trước chuyển qua,
  hồ sơ mới tiếp nhận (trực tiếp và bưu chính)… giải quyết trước hạn, đúng hạn,
  quá hạn… đang giải quyết"; Gia Lai's "cách tính thống kê": tồn kỳ trước,
  đang xử lý trễ / chưa đến hạn).

Digitisation (4.2) is judged on the resolved dossiers of the period (only they
have a result): digitised = at least one component and the result carry files
(``DossierFacts.digitised``). Signed e-results ("kết quả điện tử có ký số",
``4.2.1``) are counted over the same dossiers, reused papers ("được số hóa",
tái sử dụng, ``4.2.2``) over the digitised components; those two codes are ours.
Inputs that the station does not record (ratings before any rating, online
payment) and rates without any dossier to judge show "chưa có dữ liệu"
(``value is None``), never zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields

from desk_app.domain.lifecycle import EventKind, Status, fold
from desk_app.domain.model import Channel
from desk_app.reports.facts import (
    DEFAULT_RULES,
    Cohort,
    DossierFacts,
    DossierRecord,
    Outcome,
    Rules,
    dossier_facts,
)

NO_DATA = "chưa có dữ liệu"


# ---------------------------------------------------------------- filters
@dataclass(frozen=True)
class ReportFilter:
    """Empty strings mean "all"."""

    field: str = ""
    procedure_code: str = ""
    officer: str = ""
    channel: str = ""  # a Channel value
    unit: str = ""  # competent unit

    def accepts(self, f: DossierFacts) -> bool:
        return (
            (not self.field or f.field == self.field)
            and (not self.procedure_code or f.procedure_code == self.procedure_code)
            and (not self.officer or f.officer == self.officer)
            and (not self.channel or f.channel == self.channel)
            and (not self.unit or f.competent_unit == self.unit)
        )


# ---------------------------------------------------------------- tallies
@dataclass
class Tally:
    """The numbers of one row of the periodic report plus the activity counts."""

    received_online: int = 0
    received_direct: int = 0
    received_post: int = 0
    carried_over: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    in_time: int = 0
    overdue: int = 0
    dropped: int = 0
    supplement_requests: int = 0
    refusals: int = 0
    extensions: int = 0
    returned_by_post: int = 0
    digitised: int = 0  # resolved, components and result with files (4.2)
    results_digitised: int = 0  # resolved with a result file
    results_signed: int = 0  # resolved with a signed e-result
    components_digitised: int = 0  # components with files, dossiers of the report
    components_reused: int = 0  # of them, reused digitised papers

    @property
    def received_new(self) -> int:
        return self.received_online + self.received_direct + self.received_post

    @property
    def received_direct_post(self) -> int:
        return self.received_direct + self.received_post

    @property
    def received_total(self) -> int:
        """Dossiers to resolve in the period: new plus carried over."""
        return self.received_new + self.carried_over

    @property
    def resolved(self) -> int:
        return self.early + self.on_time + self.late

    @property
    def in_progress(self) -> int:
        return self.in_time + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        """Share of resolved dossiers resolved early or on time (%), None when none resolved."""
        return None if not self.resolved else 100.0 * (self.early + self.on_time) / self.resolved

    def add(self, f: DossierFacts) -> None:
        self.supplement_requests += f.supplement_requests_in_period
        self.refusals += f.refused_in_period
        self.extensions += f.extensions_in_period
        self.returned_by_post += f.returned_by_post_in_period
        if f.cohort is Cohort.NONE:
            return
        if f.cohort is Cohort.CARRIED:
            self.carried_over += 1
        elif f.channel == Channel.ONLINE.value:
            self.received_online += 1
        elif f.channel == Channel.POST.value:
            self.received_post += 1
        else:
            self.received_direct += 1
        name = _OUTCOME_FIELD.get(f.outcome)
        if name:
            setattr(self, name, getattr(self, name) + 1)
        self.components_digitised += f.components_digitised
        self.components_reused += f.components_reused
        if f.resolved:
            self.digitised += f.digitised
            self.results_digitised += f.result_digitised
            self.results_signed += f.result_signed

    def merge(self, other: Tally) -> None:
        for fld in fields(self):
            setattr(self, fld.name, getattr(self, fld.name) + getattr(other, fld.name))

    def as_dict(self) -> dict[str, int]:
        out = asdict(self)
        for name in (
            "received_new",
            "received_direct_post",
            "received_total",
            "resolved",
            "in_progress",
        ):
            out[name] = getattr(self, name)
        return out


_OUTCOME_FIELD = {
    Outcome.EARLY: "early",
    Outcome.ON_TIME: "on_time",
    Outcome.LATE: "late",
    Outcome.IN_TIME: "in_time",
    Outcome.OVERDUE: "overdue",
    Outcome.DROPPED: "dropped",
}

# Every number a screen shows, with the dossiers behind it (drill-down). A test
# checks that each predicate selects exactly as many dossiers as the tally counts.
CELLS: Mapping[str, tuple[str, Callable[[DossierFacts], bool]]] = {
    "received_total": ("Tổng số hồ sơ nhận giải quyết", lambda f: f.in_report),
    "received_new": ("Mới tiếp nhận trong kỳ", lambda f: f.cohort is Cohort.NEW),
    "received_online": (
        "Tiếp nhận trực tuyến",
        lambda f: f.cohort is Cohort.NEW and f.channel == Channel.ONLINE.value,
    ),
    "received_direct_post": (
        "Tiếp nhận trực tiếp và qua bưu chính",
        lambda f: f.cohort is Cohort.NEW and f.channel != Channel.ONLINE.value,
    ),
    "received_direct": (
        "Tiếp nhận trực tiếp",
        lambda f: f.cohort is Cohort.NEW and f.channel not in (Channel.ONLINE.value, Channel.POST.value),
    ),
    "received_post": (
        "Tiếp nhận qua bưu chính",
        lambda f: f.cohort is Cohort.NEW and f.channel == Channel.POST.value,
    ),
    "carried_over": ("Từ kỳ trước chuyển qua", lambda f: f.cohort is Cohort.CARRIED),
    "resolved": ("Đã giải quyết", lambda f: f.in_report and f.resolved),
    "early": ("Giải quyết trước hạn", lambda f: f.in_report and f.outcome is Outcome.EARLY),
    "on_time": ("Giải quyết đúng hạn", lambda f: f.in_report and f.outcome is Outcome.ON_TIME),
    "late": ("Giải quyết quá hạn", lambda f: f.in_report and f.outcome is Outcome.LATE),
    "in_progress": ("Đang giải quyết", lambda f: f.in_report and f.in_progress),
    "in_time": ("Đang giải quyết trong hạn", lambda f: f.in_report and f.outcome is Outcome.IN_TIME),
    "overdue": ("Đang giải quyết quá hạn", lambda f: f.in_report and f.outcome is Outcome.OVERDUE),
    "dropped": ("Rút hồ sơ, dừng giải quyết", lambda f: f.in_report and f.outcome is Outcome.DROPPED),
    "supplement_requests": ("Yêu cầu bổ sung", lambda f: f.supplement_requests_in_period > 0),
    "refusals": ("Từ chối giải quyết", lambda f: f.refused_in_period),
    "extensions": ("Xin lỗi, gia hạn", lambda f: f.extensions_in_period > 0),
    "returned_by_post": ("Trả kết quả qua bưu chính", lambda f: f.returned_by_post_in_period),
    "digitised": (
        "Đã giải quyết, số hóa thành phần hồ sơ và kết quả",
        lambda f: f.in_report and f.resolved and f.digitised,
    ),
    "results_digitised": (
        "Đã giải quyết, kết quả có bản điện tử",
        lambda f: f.in_report and f.resolved and f.result_digitised,
    ),
    "results_signed": (
        "Đã giải quyết, kết quả điện tử có ký số",
        lambda f: f.in_report and f.resolved and f.result_signed,
    ),
}


def tally(facts: Iterable[DossierFacts], flt: ReportFilter | None = None) -> Tally:
    out = Tally()
    for f in facts:
        if flt is None or flt.accepts(f):
            out.add(f)
    return out


def tally_by(
    facts: Iterable[DossierFacts], key: Callable[[DossierFacts], str], flt: ReportFilter | None = None
) -> dict[str, Tally]:
    """One tally per key value (e.g. per field), keys sorted."""
    groups: dict[str, Tally] = {}
    for f in facts:
        if flt is None or flt.accepts(f):
            groups.setdefault(key(f), Tally()).add(f)
    return dict(sorted(groups.items()))


def cell_dossiers(facts: Iterable[DossierFacts], cell: str, flt: ReportFilter | None = None) -> list[str]:
    """Codes of the dossiers behind one number (``cell`` is a key of ``CELLS``)."""
    predicate = CELLS[cell][1]
    return [f.code for f in facts if (flt is None or flt.accepts(f)) and predicate(f)]


def monthly(
    records: Sequence[DossierRecord],
    months: Iterable[tuple[str, dt.datetime, dt.datetime]],
    now: dt.datetime,
    flt: ReportFilter | None = None,
    rules: Rules = DEFAULT_RULES,
) -> list[tuple[str, Tally]]:
    """A tally per (label, start, end) sub-period, e.g. the months of a year (charts).

    A dossier whose last event is before a month and which was finished then
    contributes nothing to that month, so it is not even looked at: a year's
    twelve tallies cost about twice one tally, not twelve times.
    """
    spans = []
    for r in records:
        last_at = max((e.at for e in r.events), default=r.received_at)
        finished = fold(r.events).status in _FINISHED
        spans.append((r, last_at if finished else None))
    out = []
    for label, start, end in months:
        if start > now:
            break
        relevant = (
            r for r, done_by in spans if r.received_at < end and (done_by is None or done_by >= start)
        )
        out.append((label, tally((dossier_facts(r, start, end, now, rules) for r in relevant), flt)))
    return out


_FINISHED = frozenset(
    {Status.RESULT_READY, Status.REFUSED, Status.STOPPED, Status.WITHDRAWN, Status.RETURNED}
)


# ---------------------------------------------------------------- 766 indicators
@dataclass(frozen=True)
class RatingCounts:
    """Citizens' ratings and complaints for the dossiers of a period (not recorded yet)."""

    dossiers: int
    dissatisfied_or_complained: int


@dataclass(frozen=True)
class DigitisationCounts:
    """Dossiers judged for 4.2 and those digitised; overrides the tally's (central roll-ups)."""

    dossiers: int
    digitised: int


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    value: float | None  # percent; None = chưa có dữ liệu
    formula: str
    full_marks_at: float | None = None  # threshold for full marks (%), when published
    numerator: int | None = None
    denominator: int | None = None

    @property
    def display(self) -> str:
        if self.value is None:
            return NO_DATA
        return f"{self.value:.2f}".replace(".", ",") + "%"

    @property
    def meets_full_marks(self) -> bool | None:
        if self.value is None or self.full_marks_at is None:
            return None
        return self.value >= self.full_marks_at

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "display": self.display, "meets_full_marks": self.meets_full_marks}


def _pct(num: int, den: int) -> float | None:
    return None if den <= 0 else 100.0 * num / den


def indicators_766(
    t: Tally, ratings: RatingCounts | None = None, files: DigitisationCounts | None = None
) -> list[Indicator]:
    """The indicators whose inputs the station has; the others say ``chưa có dữ liệu``."""
    if files is None:
        files = DigitisationCounts(dossiers=t.resolved, digitised=t.digitised)
    handled = t.resolved + t.in_progress
    overdue = t.late + t.overdue
    overdue_pct = _pct(overdue, handled)
    satisfaction: float | None = None
    if ratings is not None and overdue_pct is not None and ratings.dossiers > 0:
        complained_pct = 100.0 * ratings.dissatisfied_or_complained / ratings.dossiers
        satisfaction = max(0.0, 100.0 - (overdue_pct + complained_pct))
    return [
        Indicator(
            "2.1",
            "Tỷ lệ hồ sơ giải quyết trước hạn, đúng hạn",
            t.on_time_rate,
            "(trước hạn + đúng hạn) / đã giải quyết × 100%; thời gian công dân bổ sung không tính; "
            "yêu cầu bổ sung quá 1 lần tính là quá hạn",
            numerator=t.early + t.on_time,
            denominator=t.resolved,
        ),
        Indicator(
            "2.x",
            "Tỷ lệ hồ sơ quá hạn (đã giải quyết quá hạn và đang giải quyết quá hạn)",
            overdue_pct,
            "(giải quyết quá hạn + đang giải quyết quá hạn) / (đã giải quyết + đang giải quyết) × 100%",
            numerator=overdue,
            denominator=handled,
        ),
        Indicator(
            "4.x",
            "Tỷ lệ hồ sơ tiếp nhận trực tuyến",
            _pct(t.received_online, t.received_new),
            "hồ sơ tiếp nhận trực tuyến / hồ sơ mới tiếp nhận × 100%",
            numerator=t.received_online,
            denominator=t.received_new,
        ),
        Indicator(
            "4.2",
            "Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC",
            _pct(files.digitised, files.dossiers),
            "hồ sơ đã giải quyết có tệp điện tử ở thành phần hồ sơ và ở kết quả / hồ sơ đã giải quyết × 100%",
            full_marks_at=80.0,
            numerator=files.digitised,
            denominator=files.dossiers,
        ),
        Indicator(
            "4.2.1",
            "Tỷ lệ kết quả điện tử có ký số",
            _pct(t.results_signed, t.resolved),
            "hồ sơ đã giải quyết có kết quả điện tử được ký số / hồ sơ đã giải quyết × 100%",
            numerator=t.results_signed,
            denominator=t.resolved,
        ),
        Indicator(
            "4.2.2",
            "Tỷ lệ thành phần hồ sơ được số hóa tái sử dụng",
            _pct(t.components_reused, t.components_digitised),
            "thành phần hồ sơ dùng lại bản đã số hóa / thành phần hồ sơ có tệp điện tử × 100%",
            numerator=t.components_reused,
            denominator=t.components_digitised,
        ),
        Indicator(
            "5.4",
            "Mức độ hài lòng trong tiếp nhận, giải quyết TTHC",
            satisfaction,
            "100% − (tỷ lệ hồ sơ quá hạn + tỷ lệ hồ sơ không hài lòng hoặc có phản ánh, kiến nghị)",
            full_marks_at=90.0,
        ),
        Indicator(
            "4.y",
            "Tỷ lệ hồ sơ thanh toán trực tuyến",
            None,
            "hồ sơ có phí, lệ phí thanh toán trực tuyến / hồ sơ có phí, lệ phí × 100%",
        ),
    ]


# ---------------------------------------------------------------- penalty preview
@dataclass(frozen=True)
class PenaltyWarning:
    code: str  # stable key: second_supplement, already_late, due_today, overdue, no_result_file
    indicator: str
    message: str
    advice: str


def penalty_preview(
    record: DossierRecord, now: dt.datetime, rules: Rules = DEFAULT_RULES
) -> list[PenaltyWarning]:
    """Warnings before a dossier costs the unit points, each with what avoids it (Vietnamese)."""
    facts = dossier_facts(record, now - dt.timedelta(days=1), now + dt.timedelta(seconds=1), now, rules)
    events = sorted(record.events, key=lambda e: (e.hlc, e.id))
    state = fold([e for e in events if e.at <= now])
    skipped = {c.event_id for c in state.conflicts}  # actions invalid after a merge do not count
    events = [e for e in events if e.at <= now and e.id not in skipped]
    status = state.status
    finished = status in _FINISHED
    out: list[PenaltyWarning] = []
    if not finished:
        if facts.supplement_requests > rules.max_supplement_requests:
            out.append(
                PenaltyWarning(
                    "already_late",
                    "2.1",
                    f"Hồ sơ đã bị yêu cầu bổ sung {facts.supplement_requests} lần: "
                    "đã bị tính là hồ sơ quá hạn.",
                    "Giải quyết ngay khi công dân bổ sung; không yêu cầu bổ sung thêm lần nào nữa.",
                )
            )
        elif facts.supplement_requests == rules.max_supplement_requests:
            out.append(
                PenaltyWarning(
                    "second_supplement",
                    "2.1",
                    "Hồ sơ đã được yêu cầu bổ sung một lần: yêu cầu bổ sung lần thứ hai sẽ khiến hồ sơ "
                    "bị tính là quá hạn.",
                    "Kiểm tra kỹ hồ sơ đã bổ sung; nếu còn thiếu, hướng dẫn trực tiếp để công dân hoàn thiện "
                    "ngay, không lập Phiếu yêu cầu bổ sung lần hai.",
                )
            )
        deadline = facts.deadline
        # Waiting for the citizen: the clock is stopped, nothing is due.
        waiting = status in (
            Status.SUPPLEMENT_REQUESTED,
            Status.AWAITING_FEES,
        )
        if deadline is not None and not waiting:
            if facts.outcome is Outcome.OVERDUE and now > deadline:
                out.append(
                    PenaltyWarning(
                        "overdue",
                        "2.1",
                        f"Hồ sơ đã quá hạn giải quyết từ {deadline:%H:%M} ngày {deadline:%d/%m/%Y}.",
                        "Trả kết quả sớm nhất có thể; nếu chưa có, gửi Văn bản xin lỗi và hẹn lại ngày trả "
                        "kết quả (Mẫu 04) cho công dân.",
                    )
                )
            elif deadline.date() == now.date():
                out.append(
                    PenaltyWarning(
                        "due_today",
                        "2.1",
                        f"Hồ sơ đến hạn hôm nay lúc {deadline:%H:%M} nhưng chưa có kết quả.",
                        f"Cập nhật kết quả trước {deadline:%H:%M}; nếu không kịp, gửi Văn bản xin lỗi "
                        "và hẹn lại ngày trả kết quả (Mẫu 04) ngay trong hôm nay, trước thời hạn.",
                    )
                )
    has_result = any(e.kind is EventKind.RESULT_READY for e in events)
    if has_result and not facts.result_digitised:
        out.append(
            PenaltyWarning(
                "no_result_file",
                "4.2",
                "Kết quả giải quyết chưa có bản điện tử: hồ sơ không được tính là đã số hóa.",
                "Mở hồ sơ, quét hoặc chọn tệp kết quả và đính kèm (hoặc ký số kết quả điện tử) "
                "trước khi trả cho công dân.",
            )
        )
    return out
