"""An article's publication date, from what its source says (never from the clock).

In order: the page's own metadata (HTML, read by trafilatura; Markdown front matter `date:`), a date
line near the top ("Friday, January 4, 2019" under the headline), a leading `YYYY-MM-DD` in the file
name. None of these → no date: an undated article is left undated, not given today's.
"""

from __future__ import annotations

import datetime as dt
import re

MONTHS = {
    name: i
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
         ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
         ("december", "dec")], start=1)
    for name in names
}
_MONTH = "(?P<month{n}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day{n}>\d{{1,2}})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year{n}>(?:19|20)\d\d)"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_TIME = r"(?:[\s,]+(?:at\s+)?\d{1,2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s*\(?[A-Z]{2,4}\)?)?)?"
_LEAD = r"(?:(?:published|posted|date|dated)\s*:?\s*)?"
# A line that is a date and (nearly) nothing else: 'Friday, January 4, 2019', '4 January 2019', 'Jan. 4, 2019 10:30 AM ET', '2019-01-04'.
DATE_LINE = re.compile(
    rf"^\s*{_LEAD}{_WEEKDAY}(?:{_MONTH.format(n=1)}\s+{_DAY.format(n=1)},?\s+{_YEAR.format(n=1)}"
    rf"|{_DAY.format(n=2)}\s+{_MONTH.format(n=2)},?\s+{_YEAR.format(n=2)}|(?P<iso>\d{{4}}-\d{{2}}-\d{{2}}))"
    rf"(?:T[\d:.]+(?:Z|[+-]\d\d:?\d\d)?)?{_TIME}\s*$",
    re.I)
_FILE_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?!\d)")
LINES_LOOKED_AT = 6  # a date line is the headline's neighbour: only the first few non-empty lines are read


def _ymd(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse(text: str) -> str | None:
    """'Friday, January 4, 2019' / '4 Jan 2019' / '2019-01-04' / '2019-01-04T10:00:00Z' → '2019-01-04'; else None."""
    m = DATE_LINE.match(text.strip().strip('"\''))
    if not m:
        return None
    if m.group("iso"):
        y, mo, d = m.group("iso").split("-")
        return _ymd(int(y), int(mo), int(d))
    n = 1 if m.group("year1") else 2
    return _ymd(int(m.group(f"year{n}")), MONTHS[m.group(f"month{n}").lower().rstrip(".")], int(m.group(f"day{n}")))


def from_text(text: str) -> str | None:
    """The date of a date line among the first lines of an article (the headline is the first)."""
    lines = [line for line in text.splitlines()[:40] if line.strip()][:LINES_LOOKED_AT]
    for line in lines:
        if len(line) <= 80:
            found = parse(line)
            if found:
                return found
    return None


def from_file_name(name: str) -> str | None:
    """A leading YYYY-MM-DD in a file name ('2019-01-04_magnitogorsk-….txt')."""
    m = _FILE_DATE.match(name)
    return _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
