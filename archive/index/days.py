"""Dates as day numbers: the first and last day an ISO date (or a part of one) may mean."""

from __future__ import annotations


def day_range(value: str | None) -> tuple[int | None, int | None]:
    """The first and last day (days since 1970-01-01) an ISO date may mean.

    ``"1924"`` → all of 1924, ``"1924-09"`` → all of September; ``None`` or an unreadable
    value → ``(None, None)``, an open end.
    """
    if not value:
        return None, None
    text = value.strip()
    sign = -1 if text.startswith("-") else 1
    parts = text.lstrip("-").split("-")
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        return None, None
    if not 1 <= len(numbers) <= 3 or len(parts[0]) < 4:
        return None, None
    year = sign * numbers[0]
    if len(numbers) == 1:
        return _days(year, 1, 1), _days(year, 12, 31)
    month = numbers[1]
    if not 1 <= month <= 12:
        return None, None
    last = _month_length(year, month)
    if len(numbers) == 2:
        return _days(year, month, 1), _days(year, month, last)
    if not 1 <= numbers[2] <= last:
        return None, None
    day = _days(year, month, numbers[2])
    return day, day


def _month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days(year: int, month: int, day: int) -> int:
    # Days from civil (proleptic Gregorian, astronomical years), valid for negative years too.
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468
