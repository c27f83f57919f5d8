"""Writes for scheduling, one module per topic. Every change to appointments and series
goes through these functions, inside a transaction; the API, the pages, the admin and
the tasks all call them."""

from .booking import appointments_book, conflict_from_integrity_error

__all__ = ["appointments_book", "conflict_from_integrity_error"]
