"""File formats without database access (spreadsheets, catalogue files), shared by desk and server."""
