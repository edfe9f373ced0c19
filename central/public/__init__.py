"""The central server's public face: ``/tra-cuu`` (no login).

A citizen opens a dossier's page from the receipt's QR (``/tra-cuu/{code}?k=<secret>``)
or types the code plus the last 4 digits of the phone or ID number. The page shows
public fields only (``central.public.view``) and, after the result is returned,
takes one rating per dossier bound to the QR secret, stored as a RATED event in
the change log so that the unit's stations receive it with their normal pull.

Against guessing: a wrong code, a wrong secret and wrong digits get the same
answer; every address has a request budget (token bucket); over-long inputs are
refused before any database work. Pages carry ``noindex``, a strict CSP,
``Cache-Control: no-store``, ``Referrer-Policy: no-referrer`` (the secret is in
the URL) and no script at all.
"""

from central.public.router import PublicSite, install, public_router

__all__ = ["PublicSite", "install", "public_router"]
