"""A clock that moves only when told to: the local pipeline's simulated time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from deepalert.core._clock import _utc

__all__ = ["ManualClock"]


class ManualClock:
    """A clock that moves only when told to: tests and simulations decide what time it is.

    Args:
        start: the initial time; naive values are UTC. Defaults to the machine's time.

    Example:
        >>> clock = ManualClock(datetime(2026, 1, 1, tzinfo=timezone.utc))
        >>> clock.advance(timedelta(hours=4)).isoformat()
        '2026-01-01T04:00:00+00:00'
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = _utc(start) if start is not None else datetime.now(timezone.utc)

    def now(self) -> datetime:
        """The clock's current time."""
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` (never backwards) and return the new time."""
        if delta < timedelta(0):
            raise ValueError("a ManualClock does not go backwards")
        self._now += delta
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when``, which must not be earlier than the current time."""
        when = _utc(when)
        if when < self._now:
            raise ValueError("a ManualClock does not go backwards")
        self._now = when
