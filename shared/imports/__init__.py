"""Spreadsheet imports, whatever they record: a kind of import is a `Layout` (its columns) plus the service's
own handler; this package reads XLSX/CSV files, maps their headers, turns cells into request bodies with
a problem list per row and cell, writes the Vietnamese template, and shapes the all-or-nothing refusal."""
