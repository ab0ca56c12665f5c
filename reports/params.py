"""The filters every report takes from the URL query: month range, priority, team, service.

One form serves the pages, the CSV exports and the API, so the same query string gives the
same figures everywhere. Months are counted in the reader's time zone (or `tz=`).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import Priority
from itsm.models import Service, Team

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
DEFAULT_MONTHS = 6
MAX_MONTHS = 60


class MonthField(forms.CharField):
    """YYYY-MM, the value of an <input type="month">."""

    default_error_messages = {"invalid": _("Enter a month as YYYY-MM.")}

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = MONTH.match(value.strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1970:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return dt.date(int(match.group(1)), int(match.group(2)), 1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class ReportParams:
    """Validated filters plus the instants they imply."""

    first_month: dt.date
    last_month: dt.date
    zone: zoneinfo.ZoneInfo
    priorities: tuple[str, ...] = ()
    team: Team | None = None
    service: Service | None = None
    today: dt.date = field(default_factory=dt.date.today)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_month, dt.time(), tzinfo=self.zone)

    @property
    def end(self) -> dt.datetime:
        """Exclusive: midnight starting the month after the last one."""
        return dt.datetime.combine(add_months(self.last_month, 1), dt.time(), tzinfo=self.zone)

    @property
    def months(self) -> list[dt.date]:
        count = (self.last_month.year - self.first_month.year) * 12
        count += self.last_month.month - self.first_month.month + 1
        return [add_months(self.first_month, n) for n in range(count)]

    def month_bounds(self, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(month, dt.time(), tzinfo=self.zone)
        return start, dt.datetime.combine(add_months(month, 1), dt.time(), tzinfo=self.zone)

    def query(self, **overrides) -> dict[str, str | list[str]]:
        """The query string that reproduces these filters (for links and exports)."""
        data: dict[str, str | list[str]] = {
            "from": f"{self.first_month:%Y-%m}",
            "to": f"{self.last_month:%Y-%m}",
        }
        if self.priorities:
            data["priority"] = list(self.priorities)
        if self.team is not None:
            data["team"] = self.team.slug
        if self.service is not None:
            data["service"] = self.service.slug
        data.update({k: v for k, v in overrides.items() if v is not None})
        return data


class ReportFilterForm(forms.Form):
    priority = forms.MultipleChoiceField(
        label=_("Priority"), choices=Priority.choices, required=False
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.all(), to_field_name="slug", required=False
    )
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.all(), to_field_name="slug", required=False
    )
    tz = forms.CharField(label=_("Time zone"), required=False)

    def __init__(self, data=None, *, default_months: int = DEFAULT_MONTHS, **kwargs):
        super().__init__(data, **kwargs)
        self.default_months = default_months
        # "from" and "to" read well in a URL but are not Python names: add them by key.
        self.fields["from"] = MonthField(label=_("From month"), required=False)
        self.fields["to"] = MonthField(label=_("To month"), required=False)
        self.order_fields(["from", "to", "priority", "team", "service", "tz"])

    def clean_tz(self):
        name = self.cleaned_data.get("tz") or ""
        if name and name not in zoneinfo.available_timezones():
            raise forms.ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": name})
        return name

    def clean(self):
        data = super().clean()
        zone = zoneinfo.ZoneInfo(data.get("tz") or timezone.get_current_timezone_name())
        this_month = timezone.now().astimezone(zone).date().replace(day=1)
        last = data.get("to") or this_month
        first = data.get("from") or add_months(last, 1 - self.default_months)
        if first > last:
            raise forms.ValidationError(_("The first month must not come after the last."))
        if (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
            raise forms.ValidationError(
                _("Choose at most %(count)s months."), params={"count": MAX_MONTHS}
            )
        data["params"] = ReportParams(
            first_month=first,
            last_month=last,
            zone=zone,
            priorities=tuple(data.get("priority") or ()),
            team=data.get("team"),
            service=data.get("service"),
            today=timezone.now().astimezone(zone).date(),
        )
        return data

    def params(self) -> ReportParams:
        return self.cleaned_data["params"]

    def error_text(self) -> str:
        return " ".join(str(message) for errors in self.errors.values() for message in errors)


def postmortem_due_days() -> int:
    """Days after recovery by which a required postmortem should be published."""
    return int(getattr(settings, "REPORTS_POSTMORTEM_DUE_DAYS", 5))
