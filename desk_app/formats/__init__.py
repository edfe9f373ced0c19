"""File formats the desk reads and writes, without database access.

``spreadsheet`` keeps citizens' text from running as spreadsheet formulas;
``catalog_files`` reads and writes the procedure catalogue's .xlsx/.csv layout.
The central server may import this package.
"""
