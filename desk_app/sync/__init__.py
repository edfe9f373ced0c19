"""Desk side of the offline sync: HTTP client, pull applier, background worker, CLI."""
