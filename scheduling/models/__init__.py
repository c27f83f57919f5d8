"""Scheduling models, one module per topic."""

from .holds import HeldVisit, SeriesHold
from .series import Appointment, TreatedArea, TreatmentProtocol, TreatmentSeries, TsTzRange

__all__ = [
    "Appointment",
    "HeldVisit",
    "SeriesHold",
    "TreatedArea",
    "TreatmentProtocol",
    "TreatmentSeries",
    "TsTzRange",
]
