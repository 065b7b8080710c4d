"""Where an incremental response parser is, as a transition table (HTTP/1.1, RTSP).

    HEAD --head_read--> BODY --body_read--> DONE
    HEAD --interim--> HEAD                      (HTTP 1xx: the real response follows)
    HEAD, BODY, DONE --bad_input--> ERROR       (final)

The RTSP parser reads one response after another off a connection: it stays in HEAD
between them (a response is only returned whole) until bad input sends it to ERROR.

ERROR is explicit and final, as in h11: a parser that raised once refuses every later
input, drops what it had half read, and says what the first failure was. An illegal
transition (our bug) raises.
"""

from __future__ import annotations

from enum import StrEnum


class IllegalTransitionError(RuntimeError):
    """A parser tried a move its table does not have (our bug)."""


class ParserState(StrEnum):
    """What the parser is reading."""

    HEAD = "head"
    BODY = "body"
    DONE = "done"
    ERROR = "error"


class ParserInput(StrEnum):
    """What the parser saw."""

    HEAD_READ = "head_read"
    INTERIM = "interim"
    BODY_READ = "body_read"
    BAD_INPUT = "bad_input"


S, IN = ParserState, ParserInput

TRANSITIONS: dict[tuple[ParserState, ParserInput], ParserState] = {
    (S.HEAD, IN.HEAD_READ): S.BODY,
    (S.HEAD, IN.INTERIM): S.HEAD,
    (S.BODY, IN.BODY_READ): S.DONE,
    **{(state, IN.BAD_INPUT): S.ERROR for state in (S.HEAD, S.BODY, S.DONE)},
}


def next_state(state: ParserState, seen: ParserInput) -> ParserState:
    """The state after ``seen``; IllegalTransitionError if the table has no such edge."""
    try:
        return TRANSITIONS[(state, seen)]
    except KeyError:
        raise IllegalTransitionError(f"{seen} in state {state}") from None


def failed_earlier(first: str) -> str:
    """The text of the error a failed parser raises for any later input."""
    return f"response parser failed earlier ({first}); it takes no more input"
