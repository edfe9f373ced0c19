"""Notices to citizens: a message outbox written with the event, delivered by a worker.

* ``templates``: Vietnamese Jinja2 templates (sandboxed; a unit may edit them).
* ``channels``: e-mail over SMTP, SMS through an HTTP gateway, Zalo ZNS — one interface.
* ``outbox``: which events make which notices, written in the event's transaction.
* ``delivery``: the worker that sends due notices with retries and back-off.
"""
