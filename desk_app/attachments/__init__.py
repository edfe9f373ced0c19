"""Digitised papers: content-addressed files, scans to PDF, attach/detach/reuse events."""
