"""PropertyMemory: a change missed while a subscription was lost comes back as Changed."""

from __future__ import annotations

from callpoint.ingress.onvif_properties import MAX_PROPERTIES, PropertyMemory
from callpoint.onvif.notification import EventMessage, NotificationMessage

TOPIC = "tns1:Device/Trigger/DigitalInput"


def note(op: str, state: str, contact: str = "call-button") -> NotificationMessage:
    message = EventMessage(
        None, op, source=(("InputToken", contact),), data=(("LogicalState", state),)
    )
    return NotificationMessage(TOPIC, message)


def test_first_initialized_states_are_only_remembered() -> None:
    memory = PropertyMemory()
    assert memory.observe(note("Initialized", "false")) == (None, False)
    assert len(memory) == 1


def test_changed_passes_and_same_state_after_resubscription_is_quiet() -> None:
    memory = PropertyMemory()
    memory.observe(note("Initialized", "false"))
    changed = note("Changed", "true")
    assert memory.observe(changed) == (changed, False)
    assert memory.observe(note("Initialized", "true")) == (None, False)


def test_state_that_moved_while_unsubscribed_comes_back_as_changed() -> None:
    memory = PropertyMemory()
    memory.observe(note("Initialized", "false"))
    got, recovered = memory.observe(note("Initialized", "true"))
    assert recovered and got is not None
    assert got.message.property_operation == "Changed"
    assert got.message.item("LogicalState") == "true"


def test_sources_are_told_apart_and_deleted_properties_forgotten() -> None:
    memory = PropertyMemory()
    memory.observe(note("Initialized", "false", "a"))
    assert memory.observe(note("Initialized", "true", "b")) == (None, False)
    memory.observe(note("Deleted", "false", "a"))
    assert memory.observe(note("Initialized", "true", "a")) == (None, False)


def test_memory_is_bounded() -> None:
    memory = PropertyMemory()
    for i in range(MAX_PROPERTIES + 10):
        memory.observe(note("Initialized", "false", f"in{i}"))
    assert len(memory) == MAX_PROPERTIES
