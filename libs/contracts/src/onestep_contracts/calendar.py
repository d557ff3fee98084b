"""Working days: promised and due times count only the days the administration works.

A working day is a weekday that is not a public holiday, or a weekend day declared a
make-up working day (China's State Council moves weekend days to lengthen holidays).
Working time is the part of an interval that falls on working days, each counted whole,
in the province's local time. "Due in 3 working days" from Friday 10:00 is Wednesday
10:00; an application filed on a Saturday starts counting on Monday at 00:00.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import yaml
from pydantic import Field

from .events import ContractModel

DAY = timedelta(days=1)


class CalendarFile(ContractModel):
    utc_offset_hours: int = Field(default=8, ge=-12, le=14)
    holidays: list[date] = []
    workdays: list[date] = Field(default=[], description="weekend days that are working days")


class WorkingCalendar:
    def __init__(self, holidays: set[date] = frozenset(), workdays: set[date] = frozenset(), utc_offset_hours: int = 8):
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.zone = timezone(timedelta(hours=utc_offset_hours))
        # The calendar does not change, so a moment once worked out is kept: the ledger works
        # out each open task's reminder again whenever its case changes.
        self._after = functools.lru_cache(maxsize=8192)(self._walk_forward)

    @classmethod
    def from_file(cls, path: Path | str) -> WorkingCalendar:
        data = CalendarFile.model_validate(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
        return cls(set(data.holidays), set(data.workdays), data.utc_offset_hours)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: datetime, days: float) -> datetime:
        return self.add_working_time(start, days * DAY)

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The moment `amount` of working time after `start` (time on non-working days does not count)."""
        # Equal moments in other time zones share a cache entry: the result is given in the caller's.
        return self._after(start, amount).astimezone(start.tzinfo)

    def _walk_forward(self, start: datetime, amount: timedelta) -> datetime:
        moment = start.astimezone(self.zone)
        left = amount
        while True:
            day_end = datetime.combine(moment.date() + DAY, time(), self.zone)
            if self.is_working_day(moment.date()):
                if moment + left <= day_end:
                    return moment + left  # in the province's zone; the caller's is given back above
                left -= day_end - moment
            moment = day_end

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """How much of [start, end) falls on working days; zero if end is not after start."""
        moment = start.astimezone(self.zone)
        end = end.astimezone(self.zone)
        total = timedelta()
        while moment < end:
            day_end = min(datetime.combine(moment.date() + DAY, time(), self.zone), end)
            if self.is_working_day(moment.date()):
                total += day_end - moment
            moment = day_end
        return total

    def working_days_between(self, start: datetime, end: datetime) -> float:
        return self.working_time_between(start, end) / DAY
