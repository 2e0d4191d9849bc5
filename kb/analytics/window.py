"""Report building blocks: the date window a report covers and the table every report returns."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from kb.csv_cells import spreadsheet_safe

MAX_DAYS = 366


@dataclass(frozen=True)
class Window:
    """The UTC days a report covers, both ends included."""

    since: date
    until: date

    @classmethod
    def last(cls, days: int, today: date | None = None) -> Window:
        """The last `days` days up to and including today (UTC)."""
        until = today or datetime.now(UTC).date()
        return cls(until - timedelta(days=max(1, min(days, MAX_DAYS)) - 1), until)

    @property
    def days(self) -> int:
        """How many days the window spans."""
        return (self.until - self.since).days + 1

    @property
    def start(self) -> datetime:
        """The first instant of the window."""
        return datetime.combine(self.since, time(), UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the window."""
        return datetime.combine(self.until + timedelta(days=1), time(), UTC)

    def each_day(self) -> list[date]:
        """Every day of the window, oldest first."""
        return [self.since + timedelta(days=n) for n in range(self.days)]


@dataclass(frozen=True)
class Table:
    """A report: named columns and rows of JSON-ready values (also what the CSV export writes)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[Mapping[str, object], ...]

    @classmethod
    def of(cls, name: str, columns: Sequence[str], rows: Sequence[Mapping[str, object]]) -> Table:
        """A table keeping only the named columns of each row, in order."""
        return cls(name, tuple(columns), tuple({c: row.get(c) for c in columns} for row in rows))

    def to_dict(self, window: Window) -> dict[str, object]:
        """JSON-ready representation."""
        return {"report": self.name, "since": window.since.isoformat(), "until": window.until.isoformat(),
                "days": window.days, "columns": list(self.columns), "rows": [dict(r) for r in self.rows]}

    def to_csv(self) -> str:
        """CSV with a header row; lists become "a | b" and text that a spreadsheet would evaluate is quoted."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.columns)
        writer.writerows([_cell(row.get(c)) for c in self.columns] for row in self.rows)
        return out.getvalue()


def _cell(value: object) -> object:
    if isinstance(value, list | tuple):
        value = " | ".join(str(v) for v in value)
    return spreadsheet_safe(value)


def ratio(part: int, whole: int) -> float | None:
    """part / whole to three places, None when there is nothing to divide."""
    return round(part / whole, 3) if whole else None


def day_of(value: object) -> date:
    """A day from what date() returned: a date (PostgreSQL) or an ISO string (SQLite)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
