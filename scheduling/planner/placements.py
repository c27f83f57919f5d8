"""A visit as the planner handles it: its shape in seconds, and where and when it was placed."""

from __future__ import annotations

from .types import VisitShape


class Shape:
    """A VisitShape in seconds, with a small key for the memo tables."""

    __slots__ = ("key", "visit", "prep", "prov", "turn", "patient", "room", "needs_room")

    def __init__(self, key: int, visit: VisitShape) -> None:
        self.key = key
        self.visit = visit
        self.prep = visit.prep_minutes * 60
        self.prov = visit.provider_minutes * 60
        self.turn = visit.turnover_minutes * 60 if visit.needs_room else 0
        self.patient = self.prep + self.prov
        self.room = self.patient + self.turn
        self.needs_room = visit.needs_room


class Placement:
    """One chosen visit: date, start, provider and room (None for a phone visit)."""

    __slots__ = ("ordinal", "start", "wall", "provider_id", "room_id", "shape")

    def __init__(self, ordinal: int, start: int, wall: int, provider_id: int,
                 room_id: int | None, shape: Shape) -> None:
        self.ordinal = ordinal
        self.start = start
        self.wall = wall
        self.provider_id = provider_id
        self.room_id = room_id
        self.shape = shape

    @property
    def provider_start(self) -> int:
        return self.start + self.shape.prep

    @property
    def provider_end(self) -> int:
        return self.start + self.shape.patient

    @property
    def end(self) -> int:
        return self.start + self.shape.patient

    @property
    def room_end(self) -> int:
        return self.start + self.shape.room

    def __repr__(self) -> str:
        return f"Placement({self.ordinal}, {self.start}, p={self.provider_id}, r={self.room_id})"
