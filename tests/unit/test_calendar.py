"""Working-day arithmetic: due times skip weekends and holidays, and count make-up workdays."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from onestep_contracts.calendar import WorkingCalendar

CALENDAR = WorkingCalendar.from_file(Path(__file__).parents[2] / "catalogue" / "calendar.yaml")
CST = CALENDAR.zone


def at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=CST)


def test_three_working_days_from_a_friday_end_on_wednesday():
    assert CALENDAR.add_working_days(at(2026, 11, 27), 3) == at(2026, 12, 2)


def test_an_application_filed_on_saturday_starts_counting_on_monday():
    assert CALENDAR.add_working_days(at(2026, 11, 28, 15), 1) == at(2026, 12, 1, 0)


def test_the_national_day_week_does_not_count_and_its_make_up_saturday_does():
    # Tue 29 Sep + 5 working days: 29, 30 Sep, (1-7 Oct holiday), Thu 8, Fri 9, Sat 10 (make-up).
    assert CALENDAR.add_working_days(at(2026, 9, 29), 5) == at(2026, 10, 12)
    assert CALENDAR.is_working_day(at(2026, 10, 10).date())
    assert not CALENDAR.is_working_day(at(2026, 10, 5).date())


def test_five_working_days_for_a_newborn_across_spring_festival():
    # Thu 12 Feb: 12, 13, Sat 14 (make-up), (15-23 holiday), Tue 24, Wed 25 -> Thu 26 10:00.
    assert CALENDAR.add_working_days(at(2026, 2, 12), 5) == at(2026, 2, 26)


def test_working_time_between_counts_only_working_days():
    # Wed 30 Sep 10:00 to Thu 8 Oct 10:00: 14 h of 30 Sep and 10 h of 8 Oct.
    assert CALENDAR.working_time_between(at(2026, 9, 30), at(2026, 10, 8)) == timedelta(hours=24)


def test_adding_back_the_working_time_between_two_moments_is_consistent():
    start, end = at(2026, 12, 31, 9), at(2027, 1, 11, 17)
    assert CALENDAR.add_working_time(start, CALENDAR.working_time_between(start, end)) == end


def test_due_times_keep_the_callers_time_zone():
    start = datetime(2026, 11, 27, 2, tzinfo=UTC)  # Fri 10:00 in Changsha
    assert CALENDAR.add_working_days(start, 1) == datetime(2026, 11, 30, 2, tzinfo=UTC)
    assert CALENDAR.add_working_days(start, 1).tzinfo is UTC


def test_the_same_moment_asked_in_another_time_zone_is_answered_in_that_zone():
    """Moments once worked out are kept; an equal moment in another zone gets its own zone back."""
    calendar = WorkingCalendar()
    in_utc = datetime(2026, 11, 27, 2, tzinfo=UTC)
    in_cst = in_utc.astimezone(calendar.zone)
    first, again = calendar.add_working_days(in_utc, 1), calendar.add_working_days(in_cst, 1)
    assert first == again
    assert first.tzinfo is UTC and again.tzinfo == calendar.zone and again.hour == 10
