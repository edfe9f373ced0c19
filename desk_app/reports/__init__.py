"""Statistics, the 766 indicators and the periodic report, computed from dossier events.

``facts`` / ``indicators`` / ``periods`` are pure (no database, no Qt) so the
central server can run them over its copy; ``query`` reads a station's
records for a period; ``excel`` writes the .xlsx report; ``cli`` adds
``motcua report``.
"""
