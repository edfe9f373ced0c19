"""Per-dossier facts on hand-made histories: every rule of desk_app/reports/facts.py."""

from __future__ import annotations

from desk_app.domain.lifecycle import EventKind as K
from desk_app.reports.facts import DEFAULT_RULES, Cohort, Outcome, Rules, dossier_facts
from desk_app.reports.periods import month_of
from tests.reports.histories import ev, received, record, t

NOV = month_of(2026, 11)
NOW = t(30, 17)  # after the period: judged at its end


def facts(rec, period=NOV, now=NOW, rules=DEFAULT_RULES):  # type: ignore[no-untyped-def]
    return dossier_facts(rec, period.start, period.end, now, rules)


def test_resolved_early_on_time_late_against_the_appointment() -> None:
    due = t(10, 17)
    early = facts(record(received(t(5), due), ev(K.RESULT_READY, t(9, 16))))
    on_time = facts(record(received(t(5), due), ev(K.RESULT_READY, t(10, 16, 59))))
    late = facts(record(received(t(5), due), ev(K.RESULT_READY, t(10, 17, 1))))
    assert (early.outcome, on_time.outcome, late.outcome) == (Outcome.EARLY, Outcome.ON_TIME, Outcome.LATE)
    assert early.cohort is Cohort.NEW and early.resolved_at == t(9, 16)


def test_refusal_is_resolved_and_counted() -> None:
    f = facts(record(received(t(5), t(10, 17)), ev(K.REFUSED, t(6), reason="Không đủ điều kiện")))
    assert f.outcome is Outcome.EARLY and f.refused_in_period


def test_in_progress_within_time_or_overdue_at_the_end_of_the_period() -> None:
    within = facts(record(received(t(27), t(2, 17, month=12))))
    overdue = facts(record(received(t(20), t(25, 17)), ev(K.TRANSFERRED, t(20, 10), to="Tư pháp")))
    assert within.outcome is Outcome.IN_TIME and overdue.outcome is Outcome.OVERDUE


def test_running_period_is_judged_now_and_ignores_nothing_before() -> None:
    rec = record(received(t(20), t(25, 17)))
    assert facts(rec, now=t(25, 9)).outcome is Outcome.IN_TIME  # not yet due on the 25th at 09:00
    assert facts(rec, now=t(25, 17, 1)).outcome is Outcome.OVERDUE


def test_events_after_the_period_do_not_change_a_past_report() -> None:
    rec = record(received(t(28), t(3, 17, month=12)), ev(K.RESULT_READY, t(2, month=12)))
    f = facts(rec, now=t(10, month=12))
    assert f.outcome is Outcome.IN_TIME and f.resolved_at is None


def test_carried_over_and_resolved_before_the_period() -> None:
    carried = record(received(t(28, month=10), t(3)), ev(K.RESULT_READY, t(2)))
    done_before = record(received(t(20, month=10), t(23, month=10)), ev(K.RESULT_READY, t(22, month=10)))
    received_after = record(received(t(1, month=12), t(2, month=12)))
    f = facts(carried)
    assert f.cohort is Cohort.CARRIED and f.outcome is Outcome.EARLY
    assert facts(done_before).cohort is Cohort.NONE
    assert facts(received_after, now=t(5, month=12)).cohort is Cohort.NONE


def test_citizen_supplement_time_is_not_the_units_delay() -> None:
    # Received 2/11 due 4/11; waiting for the citizen 3/11 → 10/11; the desk restarts the time (due 12/11).
    rec = record(
        received(t(2), t(4, 17)),
        ev(K.SUPPLEMENT_REQUESTED, t(3), missing=[{"name": "CCCD"}]),
        ev(K.SUPPLEMENTED, t(10), due_at=t(12, 17)),
        ev(K.RESULT_READY, t(12, 10)),
    )
    f = facts(rec)
    assert f.outcome is Outcome.ON_TIME and f.deadline == t(12, 17) and f.supplement_requests == 1


def test_supplement_without_new_due_moves_the_deadline_by_the_wait() -> None:
    rec = record(
        received(t(2), t(4, 17)),
        ev(K.SUPPLEMENT_REQUESTED, t(3, 9)),
        ev(K.SUPPLEMENTED, t(5, 9)),  # two days waited → deadline 6/11 17:00
        ev(K.RESULT_READY, t(6, 16)),
    )
    f = facts(rec)
    assert f.deadline == t(6, 17) and f.outcome is Outcome.ON_TIME


def test_waiting_for_the_citizen_is_never_overdue_by_the_clock() -> None:
    rec = record(received(t(2), t(4, 17)), ev(K.SUPPLEMENT_REQUESTED, t(3)))
    assert facts(rec).outcome is Outcome.IN_TIME


def test_fees_wait_is_the_citizens_time_too() -> None:
    rec = record(
        received(t(2), t(4, 17)),
        ev(K.FEES_REQUESTED, t(3, 9)),
        ev(K.FEES_PAID, t(9, 9)),
        ev(K.RESULT_READY, t(9, 10)),
    )
    f = facts(rec)
    assert f.deadline == t(10, 17) and f.outcome is Outcome.EARLY  # moved by the 6 days waited


def test_more_than_one_supplement_request_counts_as_late() -> None:
    base = [
        received(t(2), t(4, 17)),
        ev(K.SUPPLEMENT_REQUESTED, t(3)),
        ev(K.SUPPLEMENTED, t(5), due_at=t(9, 17)),
        ev(K.SUPPLEMENT_REQUESTED, t(6)),
    ]
    waiting = facts(record(*base))
    assert waiting.outcome is Outcome.OVERDUE and "supplement_requests" in waiting.flags
    done = facts(record(*base, ev(K.SUPPLEMENTED, t(7), due_at=t(10, 17)), ev(K.RESULT_READY, t(8))))
    assert done.outcome is Outcome.LATE and done.supplement_requests == 2
    assert done.supplement_requests_in_period == 2


def test_extension_does_not_excuse_the_delay_unless_the_rules_say_so() -> None:
    rec = record(
        received(t(2), t(4, 17)),
        ev(K.EXTENDED, t(4, 10), due_at=t(9, 17), reason="Chờ xác minh"),
        ev(K.RESULT_READY, t(6)),
    )
    f = facts(rec)
    assert f.outcome is Outcome.LATE and f.extensions_in_period == 1 and f.appointment == t(9, 17)
    assert facts(rec, rules=Rules(extension_excuses_delay=True)).outcome is Outcome.EARLY


def test_withdrawn_and_stopped_are_dropped_not_resolved() -> None:
    w = facts(record(received(t(2), t(4, 17)), ev(K.WITHDRAWN, t(3), reason="Công dân rút")))
    s = facts(record(received(t(2), t(4, 17)), ev(K.STOPPED, t(3), reason="Dừng")))
    assert w.outcome is Outcome.DROPPED and s.outcome is Outcome.DROPPED and not w.resolved


def test_withdrawn_after_the_result_stays_resolved() -> None:
    f = facts(
        record(received(t(2), t(4, 17)), ev(K.RESULT_READY, t(3)), ev(K.WITHDRAWN, t(4), reason="Thôi"))
    )
    assert f.outcome is Outcome.EARLY


def test_return_by_post_counts_in_the_period_of_the_return() -> None:
    rec = record(
        received(t(28, month=10), t(30, 17, month=10)),
        ev(K.RESULT_READY, t(29, month=10)),
        ev(K.RETURNED, t(3), method="buu_chinh", tracking_number="EB123"),
    )
    f = facts(rec)
    assert f.cohort is Cohort.NONE and f.returned_by_post_in_period


def test_routing_to_another_unit_sets_the_competent_unit() -> None:
    rec = record(received(t(2), t(4, 17)), target_unit="000.22.33.H56")
    assert facts(rec).competent_unit == "000.22.33.H56"
    assert facts(record(received(t(2), t(4, 17)))).competent_unit == "000.21.31.H56"


def test_conflicting_events_after_a_merge_are_skipped_like_the_fold_does() -> None:
    # Two offline counters: one returns the dossier, the other (later HLC) refuses it.
    rec = record(
        received(t(2), t(4, 17)),
        ev(K.RESULT_READY, t(3, 9), device="dev1"),
        ev(K.RETURNED, t(3, 10), device="dev1", method="tai_quay"),
        ev(K.REFUSED, t(3, 11), device="dev2", reason="Sai"),
    )
    f = facts(rec)
    assert f.conflicts == 1 and f.outcome is Outcome.EARLY and not f.refused_in_period


def test_merge_order_follows_the_hlc_not_the_wall_clock() -> None:
    # dev2's clock runs behind: its result (wall 3/11) is causally after the supplement request.
    rec = record(
        received(t(2), t(4, 17)),
        ev(K.SUPPLEMENT_REQUESTED, t(3, 10), hlc_at=t(3, 10)),
        ev(K.REFUSED, t(3, 9), device="dev2", hlc_at=t(3, 11), reason="Không bổ sung"),
    )
    f = facts(rec)
    assert f.outcome is Outcome.EARLY and f.resolved_at == t(3, 9) and f.conflicts == 0


# ---------------------------------------------------------------- digitisation (766, 4.2)
def _attach(at, att_id, key="to_khai", role="component", dossier="d1", **kw):  # type: ignore[no-untyped-def]
    return ev(
        K.ATTACHED, at, dossier, attachment_id=att_id, role=role, component_key=key, sha256=att_id * 8, **kw
    )


def test_digitisation_facts_attached_detached_reused_signed() -> None:
    rec = record(
        received(t(2), t(6, 17)),
        _attach(t(2, 10), "a1", "to_khai"),
        _attach(t(2, 10, 5), "a2", "giay_chung_sinh"),
        ev(K.DETACHED, t(2, 11), attachment_id="a2"),  # scanned by mistake: detached again
        _attach(t(2, 11, 5), "a3", "cccd", source="reuse", reused=True),
        ev(K.RESULT_READY, t(4, 15)),
        ev(K.RESULT_SIGNED, t(4, 16), attachment_id="s1", sha256="ef" * 32),
    )
    f = facts(rec)
    assert f.outcome is Outcome.EARLY
    assert (f.components_digitised, f.components_reused) == (2, 1)  # to_khai, cccd
    assert f.result_digitised and f.result_signed and f.digitised


def test_digitisation_needs_both_components_and_result_and_stops_at_the_period_end() -> None:
    only_result = record(
        received(t(2), t(6, 17)),
        ev(K.RESULT_READY, t(4, 15)),
        _attach(t(4, 16), "r1", key="", role="result"),
    )
    f = facts(only_result)
    assert f.result_digitised and not f.result_signed and f.components_digitised == 0 and not f.digitised
    # The component's file arrives in December: November's report does not see it.
    late_scan = record(*only_result.events, _attach(t(2, 9, month=12), "c1"))
    assert not facts(late_scan).digitised
    assert facts(late_scan, period=month_of(2026, 12), now=t(31, 17, month=12)).components_digitised == 1
    # Every file detached again: nothing digitised.
    undone = record(
        received(t(2), t(6, 17)),
        _attach(t(2, 10), "c1"),
        ev(K.DETACHED, t(2, 11), attachment_id="c1"),
        ev(K.RESULT_READY, t(4, 15)),
    )
    assert facts(undone).components_digitised == 0 and not facts(undone).result_digitised


def test_digitisation_indicators_from_hand_made_histories() -> None:
    from desk_app.reports.indicators import CELLS, indicators_766, tally

    def dossier(n: int, *extra):  # type: ignore[no-untyped-def]
        d = f"d{n}"
        return record(
            received(t(2), t(6, 17), dossier=d), ev(K.RESULT_READY, t(4, 15), d), *extra, code=f"C{n}"
        )

    records = [
        dossier(1, _attach(t(3), "a", dossier="d1"), _attach(t(3), "b", key="", role="result", dossier="d1")),
        dossier(
            2,
            _attach(t(3), "c", dossier="d2", reused=True),
            ev(K.RESULT_SIGNED, t(4, 16), "d2", attachment_id="s", sha256="ef" * 32),
        ),
        dossier(3, _attach(t(3), "d", dossier="d3")),  # no result file
        dossier(4),  # nothing
        record(received(t(20), t(30, 17), dossier="d5"), _attach(t(21), "e", dossier="d5"), code="C5"),
    ]
    all_facts = [facts(r) for r in records]
    total = tally(all_facts)
    assert (total.resolved, total.digitised, total.results_digitised, total.results_signed) == (4, 2, 2, 1)
    assert (total.components_digitised, total.components_reused) == (4, 1)  # d5 in progress counts too
    assert [f.code for f in all_facts if CELLS["digitised"][1](f)] == ["C1", "C2"]
    ind = {i.code: i for i in indicators_766(total)}
    assert (ind["4.2"].numerator, ind["4.2"].denominator, ind["4.2"].display) == (2, 4, "50,00%")
    assert ind["4.2"].meets_full_marks is False
    assert (ind["4.2.1"].numerator, ind["4.2.1"].denominator) == (1, 4)
    assert (ind["4.2.2"].numerator, ind["4.2.2"].denominator, ind["4.2.2"].display) == (1, 4, "25,00%")
