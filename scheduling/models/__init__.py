"""Scheduling models, one module per topic."""

from .holds import HeldVisit, SeriesHold
from .reminders import MessageTemplate, Reminder
from .series import Appointment, TreatedArea, TreatmentProtocol, TreatmentSeries, TsTzRange
from .waitlist import WaitlistEntry

__all__ = [
    "Appointment",
    "HeldVisit",
    "MessageTemplate",
    "Reminder",
    "SeriesHold",
    "TreatedArea",
    "TreatmentProtocol",
    "TreatmentSeries",
    "TsTzRange",
    "WaitlistEntry",
]
