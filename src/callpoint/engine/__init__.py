"""The rule engine: pure decisions over events, operator commands and time."""

from callpoint.engine.core import Engine, UnknownIncidentError
from callpoint.engine.decision import Decision
from callpoint.engine.lifecycle import IllegalTransitionError

__all__ = ["Decision", "Engine", "IllegalTransitionError", "UnknownIncidentError"]
