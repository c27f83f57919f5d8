"""Scheduling models, one module per topic."""

from .appointment import Appointment, TreatedArea, statuses_sql
from .consent import ConsentDocument, ConsentSignature, ConsentVersion
from .holds import HeldVisit, SeriesHold
from .online_booking import OnlineBooking
from .reminders import MessageTemplate, Reminder, SentMessage
from .series import TreatmentProtocol, TreatmentSeries, TsTzRange
from .waitlist import WaitlistEntry

__all__ = [
    "Appointment",
    "ConsentDocument",
    "ConsentSignature",
    "ConsentVersion",
    "HeldVisit",
    "MessageTemplate",
    "OnlineBooking",
    "Reminder",
    "SentMessage",
    "statuses_sql",
    "SeriesHold",
    "TreatedArea",
    "TreatmentProtocol",
    "TreatmentSeries",
    "TsTzRange",
    "WaitlistEntry",
]
