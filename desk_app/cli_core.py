"""Core ``motcua`` commands: init, demo, dossier, calendar, catalog, user, print, run."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from desk_app.config import default_db_path
from desk_app.domain.errors import DomainError, NotFound, ValidationError
from desk_app.domain.lifecycle import Status
from desk_app.domain.model import FormSet, ProcessingTime, Role, Unit, UnitLevel
from desk_app.workcalendar import VN_TZ


def add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, default=None, help=f"tệp cơ sở dữ liệu (mặc định {default_db_path()})"
    )


def _app(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from desk_app.bootstrap import open_station

    return open_station(args.db)


def _require_unit(app: Any) -> Unit:
    unit: Unit = app.station.unit  # raises NotFound with a Vietnamese hint
    return unit


def _parse_date(text: str) -> dt.date:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    raise ValidationError("date", f"Ngày “{text}” không hợp lệ: dùng dạng YYYY-MM-DD hoặc DD/MM/YYYY.")


# ---------------------------------------------------------------- init / demo
def cmd_init(args: argparse.Namespace) -> int:
    from desk_app.services.catalog import seed_catalog

    unit = Unit(
        code=args.unit_code,
        name=args.unit_name,
        level=UnitLevel(args.level),
        form_set=FormSet(args.form_set),
        parent_name=args.parent_name or "",
        place=args.place or "",
        body_name=args.body_name or "",
    )
    app = _app(args)
    app.station.set_unit(unit)
    with app.station.uow(write=False) as uow:
        has_catalog = uow.procedures.count() > 0
    added = 0 if has_catalog else seed_catalog(app.db)
    if args.admin_password:
        app.accounts.create("admin", "Quản trị viên", args.admin_password, Role.ADMIN)
    print(f"Đã khởi tạo trạm cho đơn vị {unit.code} — {unit.name} tại {app.db.path}")
    if added:
        print(f"Đã nạp danh mục mẫu: {added} thủ tục hành chính.")
    return 0


DEMO_UNIT = Unit(
    code="000.21.31.H56",
    name="Trung tâm Phục vụ hành chính công xã Vĩnh Lương",
    level=UnitLevel.XA,
    parent_name="ỦY BAN NHÂN DÂN XÃ VĨNH LƯƠNG",
    place="Vĩnh Lương",
    address="Thôn Văn Đăng, xã Vĩnh Lương, tỉnh Khánh Hòa",
    phone="0258 3839 123",
)

DEMO_ACCOUNTS = (
    ("admin", "Quản trị viên", "admin123", Role.ADMIN, None),
    ("canbo1", "Nguyễn Thị Hồng Nhung", "canbo123", Role.OFFICER, 1),
    ("canbo2", "Trần Văn Đức", "canbo123", Role.OFFICER, 2),
    ("giamsat", "Lê Minh Tâm", "giamsat123", Role.SUPERVISOR, None),
    ("kiosk", "Máy lấy số", "kiosk123", Role.KIOSK, None),
)


def ensure_demo(app: Any, dossiers: int, quiet: bool = False) -> int:
    """Initialise a demo unit, accounts and catalogue if missing; add ``dossiers``."""
    from desk_app.services import demo
    from desk_app.services.catalog import seed_catalog

    if not app.station.is_initialised:
        app.station.set_unit(DEMO_UNIT)
    with app.station.uow(write=False) as uow:
        has_catalog = uow.procedures.count() > 0
    if not has_catalog:
        seed_catalog(app.db)
    existing = {a.username for a in app.accounts.list()}
    for username, name, password, role, counter in DEMO_ACCOUNTS:
        if username not in existing:
            app.accounts.create(username, name, password, role, counter)

    def progress(done: int, total: int) -> None:
        if not quiet and total >= 20_000:
            print(f"\r  {done:,}/{total:,} hồ sơ", end="", file=sys.stderr, flush=True)

    made = demo.generate(app.station, dossiers, actor="canbo1", progress=progress) if dossiers else 0
    if not quiet and dossiers >= 20_000:
        print(file=sys.stderr)
    return made


def cmd_demo(args: argparse.Namespace) -> int:
    app = _app(args)
    made = ensure_demo(app, args.dossiers)
    print(f"Đã tạo {made} hồ sơ mẫu cho {app.station.unit.name} ({app.station.unit.code}) tại {app.db.path}")
    print("Tài khoản mẫu: " + ", ".join(f"{u}/{p}" for u, _, p, _, _ in DEMO_ACCOUNTS))
    return 0


# ---------------------------------------------------------------- dossiers
def _dossier_dict(row: Any) -> dict[str, Any]:
    return {
        "code": row.code,
        "procedure": row.procedure_name,
        "field": row.field,
        "applicant": row.applicant_name,
        "id_number": row.applicant_id_number,
        "phone": row.applicant_phone,
        "received_at": row.received_at.isoformat(),
        "due_at": row.due_at.isoformat(),
        "status": row.status,
        "status_label": Status(row.status).label,
        "officer": row.officer,
    }


def cmd_dossier_list(args: argparse.Namespace) -> int:
    from desk_app.services.queries import DossierFilter

    app = _app(args)
    statuses = []
    if args.status:
        try:
            statuses = [Status(s.strip()).value for s in args.status.split(",")]
        except ValueError:
            valid = ", ".join(s.value for s in Status)
            raise ValidationError(
                "status", f"Trạng thái “{args.status}” không hợp lệ. Chọn một trong: {valid}."
            ) from None
    flt = DossierFilter(
        search=args.search or "", statuses=statuses, overdue=args.overdue, due_today=args.due_today
    )
    rows = [_dossier_dict(r) for r in app.queries.page(flt, limit=args.limit)]
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        print()
    elif args.format == "csv":
        from desk_app.formats.spreadsheet import write_dict_csv

        write_dict_csv(sys.stdout, list(rows[0]) if rows else ["code"], rows)
    else:
        for r in rows:
            print(
                f"{r['code']:<28} {r['received_at'][:16]:<17} hạn {r['due_at'][:16]:<17} "
                f"{r['status_label']:<20} {r['applicant']:<28} {r['procedure'][:50]}"
            )
        print(f"({len(rows)} hồ sơ)")
    return 0


def cmd_dossier_show(args: argparse.Namespace) -> int:
    app = _app(args)
    dossier, events, state = app.workflow.state(args.code.strip())
    names = app.accounts.names()
    if args.format == "json":
        out = {
            "code": dossier.code,
            "status": dossier.status,
            "due_at": dossier.due_at.isoformat(),
            "applicant": dossier.applicant.full_name,
            "procedure": dossier.procedure_name,
            "events": [
                {
                    "kind": e.kind.value,
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "payload": {k: v for k, v in e.payload.items() if k not in ("dossier", "applicant")},
                }
                for e in events
            ],
            "conflicts": [c.message for c in state.conflicts],
        }
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    a = dossier.applicant
    print(f"Mã hồ sơ:        {dossier.code}")
    print(f"Thủ tục:         {dossier.procedure_name} ({dossier.procedure_code})")
    print(f"Người nộp:       {a.full_name} — {a.id_kind.value.upper()} {a.id_number} — ĐT {a.phone}")
    print(f"Địa chỉ:         {a.address}")
    print(
        f"Tiếp nhận:       {dossier.received_at:%H:%M %d/%m/%Y} "
        f"bởi {names.get(dossier.officer, dossier.officer)}"
    )
    print(f"Hẹn trả:         {dossier.due_at:%H:%M %d/%m/%Y}")
    print(f"Trạng thái:      {Status(dossier.status).label}")
    print("Quá trình:")
    for e in events:
        print(f"  {e.at:%d/%m/%Y %H:%M}  {e.kind.label:<45} {names.get(e.actor, e.actor)}")
    for c in state.conflicts:
        print(f"  XUNG ĐỘT: {c.message}")
    return 0


# ---------------------------------------------------------------- calendar
def cmd_calendar_due(args: argparse.Namespace) -> int:
    from desk_app.workcalendar import to_vn

    app = _app(args)
    try:
        received = to_vn(dt.datetime.strptime(args.received, "%Y-%m-%d %H:%M"))
    except ValueError:
        raise ValidationError(
            "received", f"Thời điểm “{args.received}” không hợp lệ: dùng dạng “YYYY-MM-DD HH:MM”."
        ) from None
    if args.same_day:
        time = ProcessingTime.same_day()
    else:
        if args.days is None or args.days < 1:
            raise ValidationError("days", "Số ngày làm việc phải từ 1 trở lên (hoặc dùng --same-day).")
        time = ProcessingTime.working_days(args.days)
    due = app.station.calendar.due_at(received, time)
    print(f"{due:%Y-%m-%d %H:%M}  ({_weekday(due.date())}, {due:%d/%m/%Y} lúc {due:%H:%M})")
    return 0


WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]


def _weekday(d: dt.date) -> str:
    return WEEKDAYS[d.weekday()]


def cmd_calendar_show(args: argparse.Namespace) -> int:
    app = _app(args)
    cal = app.station.calendar
    # Each line says which layer set the day: [Luật] holidays package, [Quyết định]
    # a government decision (shipped or from the central server), [Đơn vị] the unit.
    for sd in cal.special_days(args.year):
        state = "làm việc" if sd.working else "nghỉ"
        print(
            f"{sd.day.isoformat()}  {_weekday(sd.day):<8}  {state:<8}  {sd.name}"
            f"  [{sd.source.label}: {sd.reference}]"
        )
    return 0


def cmd_calendar_override(args: argparse.Namespace) -> int:
    app = _app(args)
    day = _parse_date(args.date)
    kind = "off" if args.calendar_cmd == "add-day-off" else "work"
    with app.station.uow() as uow:
        uow.calendar.set(day, kind, args.note or "")
        from desk_app.ids import uuid7
        from desk_app.store.repositories import iso

        uow.audit.add(uuid7(), iso(app.station.now()) or "", "cli", f"calendar.{kind}", day.isoformat())
        uow.commit()
    app.station.invalidate_calendar()
    label = "ngày nghỉ" if kind == "off" else "ngày làm việc bù"
    print(f"Đã ghi {day:%d/%m/%Y} là {label} của đơn vị.")
    return 0


# ---------------------------------------------------------------- catalogue
def cmd_catalog_import(args: argparse.Namespace) -> int:
    from desk_app.services.catalog import CatalogImportError, import_catalog

    app = _app(args)
    try:
        count = import_catalog(app.db, args.file)
    except CatalogImportError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except FileNotFoundError:
        raise NotFound(f"Không tìm thấy tệp “{args.file}”.") from None
    print(f"Đã nhập {count} thủ tục từ {args.file}.")
    return 0


def cmd_catalog_export(args: argparse.Namespace) -> int:
    from desk_app.services.catalog import export_catalog

    app = _app(args)
    with app.station.uow(write=False) as uow:
        procs = uow.procedures.all()
    export_catalog(procs, args.file)
    print(f"Đã xuất {len(procs)} thủ tục ra {args.file}.")
    return 0


# ---------------------------------------------------------------- users
def cmd_user_add(args: argparse.Namespace) -> int:
    app = _app(args)
    acc = app.accounts.create(args.username, args.full_name, args.password, Role(args.role), args.counter)
    print(f"Đã tạo tài khoản {acc.username} ({acc.role.label}).")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    app = _app(args)
    for a in app.accounts.list():
        print(f"{a.username:<16} {a.role.label:<22} {a.full_name}{'' if a.active else ' (đã khóa)'}")
    return 0


# ---------------------------------------------------------------- printing
PRINT_FORMS = ("receipt", "supplement", "refusal", "apology", "stop", "control", "logbook")


def cmd_print(args: argparse.Namespace) -> int:
    from desk_app.services.printouts import render_dossier_form, render_logbook_range

    app = _app(args)
    if args.form == "logbook":
        if not (args.date_from and args.date_to):
            raise ValidationError("date", "Sổ theo dõi cần --from và --to (YYYY-MM-DD).")
        pdf = render_logbook_range(app, _parse_date(args.date_from), _parse_date(args.date_to))
    else:
        if not args.dossier:
            raise ValidationError("dossier", "Cần --dossier MÃ_HỒ_SƠ.")
        pdf = render_dossier_form(app, args.form, args.dossier.strip())
    out = Path(args.out)
    try:
        out.write_bytes(pdf)
    except OSError as exc:
        raise DomainError(f"Không ghi được tệp “{out}”: {exc.strerror}.") from None
    print(f"Đã ghi {out} ({len(pdf):,} byte).")
    return 0


# ---------------------------------------------------------------- GUI
def cmd_run(args: argparse.Namespace) -> int:
    from ui.app import main as gui_main

    return int(gui_main(db_path=args.db, demo=getattr(args, "demo", False)) or 0)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("init", help="khởi tạo cơ sở dữ liệu của trạm cho một đơn vị")
    add_db(p)
    p.add_argument("--unit-code", required=True, help="mã định danh điện tử, ví dụ 000.21.31.H56")
    p.add_argument("--unit-name", required=True)
    # No "huyen": districts ended on 1/7/2025; the level stays readable for old dossiers only.
    p.add_argument("--level", default="xa", choices=[lv.value for lv in UnitLevel.for_new_units()])
    p.add_argument(
        "--body-name",
        default="",
        help="tên bộ phận một cửa in trên biểu mẫu (bỏ trống: “Trung tâm Phục vụ hành chính công …”)",
    )
    p.add_argument("--form-set", default="2025", choices=[f.value for f in FormSet])
    p.add_argument("--parent-name", default="")
    p.add_argument("--place", default="")
    p.add_argument("--admin-password", default="", help="tạo tài khoản admin với mật khẩu này")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", help="tạo dữ liệu mẫu (danh mục, tài khoản, hồ sơ)")
    add_db(p)
    p.add_argument("--dossiers", type=int, default=200)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("dossier", help="tra cứu hồ sơ")
    dsub = p.add_subparsers(dest="dossier_cmd", metavar="LỆNH")
    q = dsub.add_parser("list", help="liệt kê hồ sơ")
    add_db(q)
    q.add_argument("--status", default="")
    q.add_argument("--search", default="", help="mã hồ sơ, CCCD, số điện thoại hoặc họ tên")
    q.add_argument("--overdue", action="store_true")
    q.add_argument("--due-today", action="store_true")
    q.add_argument("--limit", type=int, default=100)
    q.add_argument("--format", choices=["table", "csv", "json"], default="table")
    q.set_defaults(func=cmd_dossier_list)
    q = dsub.add_parser("show", help="xem chi tiết một hồ sơ")
    add_db(q)
    q.add_argument("code")
    q.add_argument("--format", choices=["text", "json"], default="text")
    q.set_defaults(func=cmd_dossier_show)

    p = sub.add_parser("calendar", help="lịch làm việc và ngày hẹn trả")
    csub = p.add_subparsers(dest="calendar_cmd", metavar="LỆNH")
    q = csub.add_parser("due", help="tính ngày hẹn trả kết quả")
    add_db(q)
    q.add_argument("--received", required=True, help="thời điểm tiếp nhận “YYYY-MM-DD HH:MM”")
    g = q.add_mutually_exclusive_group(required=True)
    g.add_argument("--days", type=int, help="số ngày làm việc")
    g.add_argument("--same-day", action="store_true", help="giải quyết trong ngày")
    q.set_defaults(func=cmd_calendar_due)
    q = csub.add_parser("show", help="liệt kê ngày nghỉ của một năm")
    add_db(q)
    q.add_argument("year", type=int)
    q.set_defaults(func=cmd_calendar_show)
    for name, help_text in (
        ("add-day-off", "thêm ngày nghỉ của đơn vị"),
        ("add-workday", "thêm ngày làm việc bù"),
    ):
        q = csub.add_parser(name, help=help_text)
        add_db(q)
        q.add_argument("date")
        q.add_argument("--note", default="")
        q.set_defaults(func=cmd_calendar_override)

    p = sub.add_parser("catalog", help="danh mục thủ tục hành chính")
    ksub = p.add_subparsers(dest="catalog_cmd", metavar="LỆNH")
    q = ksub.add_parser("import", help="nhập danh mục từ tệp .xlsx hoặc .csv")
    add_db(q)
    q.add_argument("file", type=Path)
    q.set_defaults(func=cmd_catalog_import)
    q = ksub.add_parser("export", help="xuất danh mục ra tệp .xlsx hoặc .csv")
    add_db(q)
    q.add_argument("file", type=Path)
    q.set_defaults(func=cmd_catalog_export)

    p = sub.add_parser("user", help="tài khoản cán bộ")
    usub = p.add_subparsers(dest="user_cmd", metavar="LỆNH")
    q = usub.add_parser("add", help="tạo tài khoản")
    add_db(q)
    q.add_argument("username")
    q.add_argument("--full-name", required=True)
    q.add_argument("--password", required=True)
    q.add_argument("--role", default="officer", choices=[r.value for r in Role])
    q.add_argument("--counter", type=int, default=None)
    q.set_defaults(func=cmd_user_add)
    q = usub.add_parser("list", help="liệt kê tài khoản")
    add_db(q)
    q.set_defaults(func=cmd_user_list)

    p = sub.add_parser("print", help="in biểu mẫu ra tệp PDF")
    add_db(p)
    p.add_argument("form", choices=PRINT_FORMS)
    p.add_argument("--dossier", default="")
    p.add_argument("--from", dest="date_from", default="")
    p.add_argument("--to", dest="date_to", default="")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_print)

    p = sub.add_parser("run", help="mở chương trình (mặc định)")
    add_db(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("run-demo", help="mở chương trình trên dữ liệu mẫu với thiết bị mô phỏng")
    add_db(p)
    p.set_defaults(func=cmd_run, demo=True)

    from desk_app import backup_cli

    backup_cli.register(sub)


__all__ = ["register", "ensure_demo", "DEMO_UNIT", "DEMO_ACCOUNTS", "VN_TZ"]
