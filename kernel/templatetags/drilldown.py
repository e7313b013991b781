"""The admin's date drill-down without its DISTINCT scans over the whole table: the periods
between the first and last date of the table (two index lookups), empty ones included."""

import datetime

from django import template
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()


def _local(value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    return value


@register.inclusion_tag("admin/date_hierarchy.html")
def date_drilldown(cl):
    field = cl.date_hierarchy
    year, month, day = (cl.params.get(f"{field}__{part}") for part in ("year", "month", "day"))

    def link(filters):
        return cl.get_query_string(filters, [f"{field}__"])

    def choice(date, fmt, **filters):
        return {
            "link": link({f"{field}__{part}": value for part, value in filters.items()}),
            "title": capfirst(formats.date_format(date, fmt)),
        }

    try:
        year, month, day = (int(value) if value else None for value in (year, month, day))
        if year and month and day:
            date = datetime.date(year, month, day)
            return {
                "show": True,
                "back": {
                    "link": link({f"{field}__year": year, f"{field}__month": month}),
                    "title": capfirst(formats.date_format(date, "YEAR_MONTH_FORMAT")),
                },
                "choices": [{"title": capfirst(formats.date_format(date, "MONTH_DAY_FORMAT"))}],
            }
    except ValueError:
        return {"show": False}
    # The table's bounds, not the filtered list's: a filter or search would make them a scan.
    bounds = cl.model._default_manager.aggregate(first=models.Min(field), last=models.Max(field))
    if bounds["first"] is None:
        return {"show": False}
    first, last = _local(bounds["first"]), _local(bounds["last"])
    if not year and first.year == last.year:  # one year only: start with its months, as Django does
        year = first.year
    if year and month:
        start = datetime.date(year, month, 1)
        end = (start + datetime.timedelta(days=32)).replace(day=1)
        days = [start + datetime.timedelta(days=n) for n in range((end - start).days)]
        days = [date for date in days if first.date() <= date <= last.date()] if hasattr(first, "date") else days
        return {
            "show": True,
            "back": {"link": link({f"{field}__year": year}), "title": str(year)},
            "choices": [choice(date, "MONTH_DAY_FORMAT", year=year, month=month, day=date.day) for date in days],
        }
    if year:
        months = [datetime.date(year, number, 1) for number in range(1, 13)]
        months = [date for date in months if (first.year, first.month) <= (year, date.month) <= (last.year, last.month)]
        return {
            "show": True,
            "back": {"link": link({}), "title": _("All dates")},
            "choices": [choice(date, "YEAR_MONTH_FORMAT", year=year, month=date.month) for date in months],
        }
    return {
        "show": True,
        "back": None,
        "choices": [
            {"link": link({f"{field}__year": number}), "title": str(number)}
            for number in range(first.year, last.year + 1)
        ],
    }
