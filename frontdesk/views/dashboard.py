"""The clinic admin's dashboard and a CSV export of each of its tables."""

from datetime import timedelta

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_GET

from clinic.roles import ADMIN
from clinic.spreadsheets import csv_write
from scheduling.models import Appointment, Reminder, TreatmentSeries

from .. import charts
from ..access import roles_required
from ..dashboard import Dashboard, dashboard_build, period_make
from ..forms import DashboardForm
from ..selectors import location_chosen
from ..timeutil import local_today, zone
from .common import page

KIND_LABELS = dict(Appointment.Kind.choices)
SERIES_LABELS = {**dict(TreatmentSeries.Status.choices), "on_hold": "On hold", "cancelled": "Dropped (cancelled)"}
REMINDER_LABELS = dict(Reminder.Status.choices)
DEFAULT_PAST_DAYS, DEFAULT_FUTURE_DAYS = 28, 28
ROWS_SHOWN = 50  # of a call list on the page; the CSV holds every row


def _dashboard(request: HttpRequest) -> tuple[DashboardForm, Dashboard | None]:
    """The filter form and the figures; no figures when no location exists or the
    filter asked for is not valid (the form then carries the reason)."""
    location = location_chosen(request.GET.get("location"))
    if location is None:
        return DashboardForm(), None
    today = local_today(location)
    initial = {"location": location.pk, "start": today - timedelta(days=DEFAULT_PAST_DAYS),
               "end": today + timedelta(days=DEFAULT_FUTURE_DAYS)}
    form = DashboardForm({**initial, **{k: v for k, v in request.GET.items() if k in initial and v}})
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, dashboard_build(period_make(location=data["location"], start=data["start"], end=data["end"]))


def _refusal(form: DashboardForm) -> str:
    """The filter's errors in words, e.g. "From: Give a date between the years 1900 and 2200." """
    parts = []
    for name, messages in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts += [f"{label}: {message}" if label else message for message in messages]
    return " ".join(parts)


def _charts(board: Dashboard) -> dict:
    week = [(f"{d.day:%a} {d.day.day}", d.by_kind) for d in board.week]
    percent = charts.percent
    return {
        "week": charts.stacked_columns(
            week, title="Visits this week by day and kind", colours=charts.KIND_COLOURS, labels=KIND_LABELS
        ),
        "kinds_legend": charts.legend(charts.KIND_COLOURS, KIND_LABELS),
        "providers": charts.bars(
            [charts.Bar(u.name, u.share, percent(u.share)) for u in board.providers],
            title="Provider utilisation",
            maximum=1,
        ),
        "rooms": charts.bars(
            [charts.Bar(u.name, u.share, percent(u.share), "#138a8a") for u in board.rooms],
            title="Room utilisation",
            maximum=1,
        ),
        "series": charts.bars(
            [
                charts.Bar(SERIES_LABELS[s], n, str(n), charts.STATUS_COLOURS[s])
                for s, n in board.series.by_status.items()
            ],
            title="Series started, by status now",
        ),
        "attendance": charts.bars(
            [
                charts.Bar(
                    "No-show rate", board.attendance.no_show_rate, percent(board.attendance.no_show_rate), "#b23b3b"
                ),
                charts.Bar(
                    "Late-cancel rate",
                    board.attendance.late_cancel_rate,
                    percent(board.attendance.late_cancel_rate),
                    "#c27c0e",
                ),
            ],
            title="No-shows and late cancellations",
            maximum=max(0.25, board.attendance.no_show_rate, board.attendance.late_cancel_rate),
        ),
        "reminders": charts.bars(
            [
                charts.Bar(REMINDER_LABELS[s], n, str(n), charts.STATUS_COLOURS.get(s, "#888"))
                for s, n in board.reminders.items()
                if s in ("pending", "sent", "failed") or n
            ],
            title="Reminders due in the range, by status",
        ),
        "completion": charts.bars(
            [
                charts.Bar(
                    "Sessions completed",
                    board.series.completion_share,
                    percent(board.series.completion_share),
                    "#2e8b57",
                )
            ],
            title="Share of planned sessions completed",
            maximum=1,
        ),
    }


@require_GET
@roles_required(ADMIN)
def dashboard(request: HttpRequest) -> HttpResponse:
    form, board = _dashboard(request)
    if board is None and form.is_bound:
        message = f"{_refusal(form)} Change the filter, or open the dashboard for the last four weeks."
        return page(request, "empty.html", {"message": message, "nav": "dashboard"}, status=400)
    if board is None:
        return page(request, "empty.html", {"message": "No location is set up yet; add one in the clinic admin."})
    return page(request, "dashboard.html", {
        "form": form, "board": board, "charts": _charts(board), "kind_labels": KIND_LABELS,
        "series_labels": SERIES_LABELS, "reminder_labels": REMINDER_LABELS, "query": request.GET.urlencode(),
        "week_total": sum(day.total for day in board.week), "shown": ROWS_SHOWN, "location": board.period.location,
    })


def _rows(board: Dashboard, table: str) -> tuple[list[str], list[list]]:
    tz = zone(board.period.location)
    kinds = list(KIND_LABELS)
    if table == "today":
        return ["kind", "visits"], [[KIND_LABELS[k], board.today.by_kind[k]] for k in kinds]
    if table == "week":
        return (["date"] + [KIND_LABELS[k] for k in kinds] + ["total"],
                [[d.day.isoformat()] + [d.by_kind[k] for k in kinds] + [d.total] for d in board.week])
    if table in ("providers", "rooms"):
        rows = board.providers if table == "providers" else board.rooms
        return (["name", "booked_minutes", "available_minutes", "utilisation"],
                [[u.name, u.booked_minutes, u.available_minutes, f"{u.share:.4f}"] for u in rows])
    if table == "series":
        s = board.series
        rows = [[SERIES_LABELS[k], n] for k, n in s.by_status.items()]
        rows += [
            ["Started", s.started],
            ["Planned sessions", s.planned_sessions],
            ["Completed sessions", s.completed_sessions],
            ["Share of sessions completed", f"{s.completion_share:.4f}"],
            [
                "Average days first to last session (completed series)",
                "" if s.average_days_first_to_last is None else f"{s.average_days_first_to_last:.1f}",
            ],
        ]
        return ["measure", "value"], rows
    if table == "attendance":
        a = board.attendance
        return ["measure", "value"], [
            ["Visits booked in the range", a.booked], ["Attended (completed or checked in)", a.attended],
            ["No-shows", a.no_shows], ["No-show rate", f"{a.no_show_rate:.4f}"], ["Cancellations", a.cancellations],
            ["Late cancellations", a.late_cancellations], ["Late-cancel rate", f"{a.late_cancel_rate:.4f}"]]
    if table == "reminders":
        return ["status", "reminders"], [[REMINDER_LABELS[k], n] for k, n in board.reminders.items()]
    if table == "maintenance":
        return (
            ["patient", "provider", "last_treatment", "due_from", "due_by"],
            [
                [
                    m.patient_name,
                    m.provider_name,
                    m.last_treatment.isoformat(),
                    m.due_from.isoformat(),
                    m.due_by.isoformat(),
                ]
                for m in board.maintenance
            ],
        )
    if table == "closing":
        return (["patient", "next_session", "previous_session", "window_closes"],
                [[c.series.patient.full_name, c.next_session_number,
                  c.previous_session_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                  c.window_closes_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")] for c in board.closing])
    raise Http404("No such table.")


TABLES = ("today", "week", "providers", "rooms", "series", "attendance", "reminders", "maintenance", "closing")


@require_GET
@roles_required(ADMIN)
def dashboard_csv(request: HttpRequest, table: str) -> HttpResponse:
    if table not in TABLES:
        raise Http404("No such table.")
    form, board = _dashboard(request)
    if board is None and form.is_bound:
        return HttpResponseBadRequest(_refusal(form), content_type="text/plain; charset=utf-8")
    if board is None:
        raise Http404("No location.")
    header, rows = _rows(board, table)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    period = board.period
    response["Content-Disposition"] = (
        f'attachment; filename="{table}-{period.location.slug}-{period.start.isoformat()}-{period.end.isoformat()}.csv"'
    )
    csv_write(response, header, rows)
    return response
