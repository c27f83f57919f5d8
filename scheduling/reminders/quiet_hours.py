"""Quiet hours: when a text message may not arrive, in the patient's own time zone.

Pure helpers, no database: the sync uses them to place an SMS when it is written, and
the send task checks again when it is due (the patient may have moved zone meanwhile)."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    """A nightly span such as 21:00-08:00; it may wrap past midnight."""

    starts: time
    ends: time

    @classmethod
    def parse(cls, text: str | None) -> "QuietHours | None":
        """'21:00-08:00' -> QuietHours; empty means no quiet hours."""
        if not text or not text.strip():
            return None
        start_text, end_text = (part.strip() for part in text.split("-", 1))
        return cls(starts=time.fromisoformat(start_text), ends=time.fromisoformat(end_text))

    def _wraps(self) -> bool:
        return self.starts > self.ends

    def contains(self, moment: datetime, zone: ZoneInfo) -> bool:
        local = moment.astimezone(zone).time()
        if self.starts == self.ends:
            return False
        if self._wraps():
            return local >= self.starts or local < self.ends
        return self.starts <= local < self.ends

    def morning_after(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """The end of the quiet span that holds this moment (the next 08:00 local).

        Built from the local calendar date and wall-clock time, so across a change to or
        from summer time the message still goes at 08:00 local, not 07:00 or 09:00."""
        local = moment.astimezone(zone)
        day = local.date()
        if self._wraps() and local.time() >= self.starts:
            day += timedelta(days=1)
        # zoneinfo resolves a wall time inside a DST gap forward; 08:00 is never in one.
        return datetime.combine(day, self.ends, tzinfo=zone)

    def evening_before(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """One minute before the quiet span that holds this moment began (20:59 local)."""
        local = moment.astimezone(zone)
        day = local.date()
        if self._wraps() and local.time() < self.ends:
            day -= timedelta(days=1)
        return datetime.combine(day, self.starts, tzinfo=zone) - timedelta(minutes=1)


HELD_REASON = "Quiet hours last until after the visit and the patient takes no email: no text is sent in them."


@dataclass(frozen=True)
class Placement:
    """Where a message goes: when, by which channel, and whether it was held back or,
    with no time left outside quiet hours before the visit, not sent at all."""

    due: datetime
    channel: str
    deferred: bool = False
    held: bool = False

    @property
    def reason(self) -> str:
        return HELD_REASON if self.held else ""


def place_outside_quiet_hours(
    *,
    due: datetime,
    zone: ZoneInfo,
    quiet: QuietHours | None,
    visit_starts_at: datetime | None,
    now: datetime,
    email_ok: bool = False,
) -> Placement:
    """Where a text due at `due` should go. Never inside quiet hours:

    - outside them, as due;
    - inside them, at the morning's end of them if that is still before the visit;
    - else by email, if the patient accepts email;
    - else the evening before quiet hours began, if that is still ahead;
    - else not at all (held): a morning text would arrive after the visit."""
    if quiet is None or not quiet.contains(due, zone):
        return Placement(due, "sms")
    morning = quiet.morning_after(due, zone)
    if visit_starts_at is None or morning < visit_starts_at:
        return Placement(morning, "sms", deferred=True)
    if email_ok:
        return Placement(due, "email")
    evening = quiet.evening_before(due, zone)
    if evening > now:
        return Placement(evening, "sms", deferred=True)
    return Placement(due, "sms", held=True)
