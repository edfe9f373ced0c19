"""The province's dashboard: ``/quan-tri`` (staff login).

Server-rendered pages (Jinja2, no script) for provincial and unit staff: every
unit's scorecard side by side, drill-down to the dossiers behind a number, the
periodic report with Excel and PDF downloads, and the admin tasks (units,
devices with a QR of the enrolment code, calendar decisions, catalogue import).
Accounts, sessions, lock-out and the audit log: ``central.web.accounts``.
Figures: ``central.reporting`` only.
"""

from central.web.router import BASE, Dashboard, dashboard_router, install

__all__ = ["BASE", "Dashboard", "dashboard_router", "install"]
