"""The rule engine: pure decisions over events, operator commands and time."""

from callpoint.engine.core import Decision, Engine, UnknownIncidentError
from callpoint.engine.lifecycle import IllegalTransitionError

__all__ = ["Decision", "Engine", "IllegalTransitionError", "UnknownIncidentError"]
