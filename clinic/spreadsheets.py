"""CSV written for spreadsheets: a cell that starts with =, +, -, @, a tab or a carriage
return is read by Excel, LibreOffice and Google Sheets as a formula (a patient named
"=HYPERLINK(...)" would run on the admin's computer), so such text is written with a
leading apostrophe, which the spreadsheet shows as text and does not print. Numbers are
written as they are."""

import csv
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """The value as a safe cell: text that a spreadsheet would run is made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_write(out, header: Iterable, rows: Iterable[Iterable]) -> None:
    """Write the header and rows to `out` (a file or an HttpResponse), every cell made safe."""
    writer = csv.writer(out)
    writer.writerow([csv_cell(cell) for cell in header])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
