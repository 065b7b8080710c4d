"""Our syslog output as a real rsyslogd receives it, over UDP and TCP."""

from __future__ import annotations

import asyncio
from datetime import timedelta, timezone
from typing import Any

import pytest

from callpoint.codecs.syslog import BOM, SDElement, encode
from callpoint.codecs.syslog_parser import parse
from callpoint.model import ActionKind, ActionOutcome, ActionState, EventType
from callpoint.syslog.records import Origin, action_message, event_message, incident_message
from callpoint.syslog.sender import TcpSyslogSender, UdpSyslogSender
from tests import factories as f
from tests.syslog.conftest import Rsyslog

pytestmark = pytest.mark.asyncio

ORIGIN = Origin(hostname="cp-test", procid="4242")


async def wait_records(server: Rsyslog, n: int) -> list[dict[str, Any]]:
    for _ in range(500):
        got = server.records()
        if len(got) >= n:
            return got
        await asyncio.sleep(0.01)
    raise AssertionError(f"rsyslog wrote {len(server.records())} records, expected {n}")


def sd_of(record: dict[str, Any]) -> dict[str, dict[str, str]]:
    """rsyslog's STRUCTURED-DATA text, read back with our parser."""
    m = parse(b"<13>1 - - - - - " + record["sd"].encode())
    return {el.id: dict(el.params) for el in m.structured_data}


def sos_event() -> Any:
    plus1 = timezone(timedelta(hours=1))
    return f.event(
        type=EventType.SOS,
        priority=90,
        device_time=(f.T0 - timedelta(seconds=2)).astimezone(plus1),
        attributes={"note": 'gate "B"]'},
    )


def check_event(record: dict[str, Any], ev: Any, transport: str) -> None:
    assert record["input"] == transport
    assert (record["app"], record["procid"], record["msgid"]) == ("callpoint", "4242", "EVENT")
    assert (record["hostname"], record["pri"]) == ("cp-test", str(16 * 8 + 2))
    params = sd_of(record)["callpoint@32473"]
    assert params["deviceTime"] == "2026-03-01T12:59:58.123456+01:00"
    assert params["serverTime"] == "2026-03-01T12:00:00.123456Z"
    assert record["timestamp"] == "2026-03-01T12:00:00.123456Z"
    assert (params["event"], params["device"], params["type"]) == (ev.id, "EXPH-03", "sos")
    assert sd_of(record)["callpointAttr@32473"]["note"] == 'gate "B"]'
    assert record["msg"] == BOM.decode() + f"sos at {ev.location} from EXPH-03"


async def test_udp_event_arrives_with_device_and_server_time(rsyslog: Rsyslog) -> None:
    sender = UdpSyslogSender("127.0.0.1", rsyslog.udp_port)
    await sender.start()
    ev = sos_event()
    sender.send(event_message(ev, ORIGIN))
    (record,) = await wait_records(rsyslog, 1)
    check_event(record, ev, "imudp")
    assert sender.sent == 1
    await sender.close()


async def test_tcp_event_incident_and_action_arrive_in_order(rsyslog: Rsyslog) -> None:
    sender = TcpSyslogSender("127.0.0.1", rsyslog.tcp_port)
    await sender.start()
    ev = sos_event()
    inc = f.incident()
    act = f.action(kind=ActionKind.HTTP, state=ActionState.DONE, attempts=1)
    at = f.T0 + timedelta(seconds=1)
    sender.send(event_message(ev, ORIGIN))
    sender.send(
        incident_message(inc, ORIGIN, server_time=at, change="opened", device_time=ev.device_time)
    )
    sender.send(action_message(act, ActionOutcome(True, "200 OK"), ORIGIN, server_time=at))
    records = await wait_records(rsyslog, 3)
    check_event(records[0], ev, "imtcp")
    assert [r["msgid"] for r in records] == ["EVENT", "INCIDENT", "ACTION"]
    inc_params = sd_of(records[1])["callpoint@32473"]
    assert inc_params["deviceTime"] == "2026-03-01T12:59:58.123456+01:00"
    assert inc_params["serverTime"] == "2026-03-01T12:00:01.123456Z"
    assert sd_of(records[2])["callpoint@32473"]["state"] == "done"
    await sender.close()
    assert sender.sent == 3


async def test_tcp_buffers_while_down_drops_oldest_and_reconnects(rsyslog: Rsyslog) -> None:
    rsyslog.stop()
    sender = TcpSyslogSender(
        "127.0.0.1", rsyslog.tcp_port, buffer_max=3, min_backoff=0.05, max_backoff=0.2
    )
    await sender.start()
    for n in range(5):
        sender.send(_numbered(n))  # never blocks, receiver or not
    assert (sender.dropped, sender.pending, sender.connected) == (2, 3, False)
    await asyncio.sleep(0.1)
    rsyslog.start()
    records = await wait_records(rsyslog, 3)
    assert [r["msg"] for r in records] == [BOM.decode() + f"m{n}" for n in (2, 3, 4)]
    # The receiver goes away and comes back: the sender notices and reconnects.
    rsyslog.stop()
    for _ in range(200):
        if not sender.connected:
            break
        await asyncio.sleep(0.01)
    assert not sender.connected
    sender.send(_numbered(5))
    rsyslog.start()
    records = await wait_records(rsyslog, 4)
    assert records[3]["msg"] == BOM.decode() + "m5"
    assert sender.connects == 2
    await sender.close()


def _numbered(n: int) -> bytes:
    m = event_message(f.event(n), ORIGIN)
    return encode(
        type(m)(
            m.facility,
            m.severity,
            m.timestamp,
            m.hostname,
            m.app_name,
            m.procid,
            "TEST",
            (SDElement("n@32473", (("n", str(n)),)),),
            f"m{n}",
        )
    )


async def test_output_fans_out_to_udp_and_tcp(rsyslog: Rsyslog) -> None:
    from callpoint.syslog.output import SyslogOutput

    out = SyslogOutput(
        [
            UdpSyslogSender("127.0.0.1", rsyslog.udp_port),
            TcpSyslogSender("127.0.0.1", rsyslog.tcp_port),
        ],
        ORIGIN,
        clock=lambda: f.T0,
    )
    await out.start()
    ev = sos_event()
    out.event(ev)
    act = f.action(kind=ActionKind.HTTP, state=ActionState.FAILED, attempts=5)
    out.action_outcome(act, ActionOutcome(False, "HTTP 404"))
    records = await wait_records(rsyslog, 4)
    by_input = sorted((r["input"], r["msgid"]) for r in records)
    assert by_input == [
        ("imtcp", "ACTION"),
        ("imtcp", "EVENT"),
        ("imudp", "ACTION"),
        ("imudp", "EVENT"),
    ]
    await out.close()
    assert out.dropped == 0


async def test_tls_delivers_to_a_verified_receiver_and_refuses_an_unknown_one(
    rsyslog_tls: Rsyslog,
) -> None:
    import ssl

    good = ssl.create_default_context(cafile=str(rsyslog_tls.dir / "ca.pem"))
    sender = TcpSyslogSender("127.0.0.1", rsyslog_tls.tcp_port, tls=good)
    await sender.start()
    ev = sos_event()
    sender.send(event_message(ev, ORIGIN))
    (record,) = await wait_records(rsyslog_tls, 1)
    assert sd_of(record)["callpoint@32473"]["serverTime"] == "2026-03-01T12:00:00.123456Z"
    await sender.close()
    # A sender that trusts only the system CAs never hands the message to this receiver.
    strict = TcpSyslogSender(
        "127.0.0.1", rsyslog_tls.tcp_port, tls=ssl.create_default_context(), min_backoff=0.05
    )
    await strict.start()
    strict.send(event_message(sos_event(), ORIGIN))
    await asyncio.sleep(0.3)
    assert (strict.connected, strict.sent, strict.pending) == (False, 0, 1)
    await strict.close()
    assert (strict.dropped, strict.pending) == (1, 0)  # counted, not silently lost
    assert len(rsyslog_tls.records()) == 1
