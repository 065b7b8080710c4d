"""The ONVIF fields of site.yaml: event rules, event_mode, and who gets a subscription."""

from __future__ import annotations

import pytest

from callpoint.config.loader import ConfigError, parse_site
from callpoint.ingress.onvif_events import targets_from_site
from callpoint.onvif.eventmap import DEFAULT_RULES

SITE = """
site: {name: t}
server: {public_url: PUBLIC}
consoles: [{name: dispatch}]
cameras:
  - id: PTZ-1
    kind: ptz
    onvif: {url: "http://10.0.0.9/onvif/device_service", username: u, password: {env: CP_PW},
            event_mode: off}
  - id: CAM-2
    kind: fixed
    onvif: {url: "http://10.0.0.8/onvif/device_service", username: u, password: {env: CP_PW},
            default_events: false,
            events: [{topic: "tns1:VideoSource/MotionAlarm", item: State, value: "true",
                      event: motion}]}
locations:
  - {tag: GATE, cameras: [PTZ-1], consoles: [dispatch]}
  - {tag: YARD, cameras: [CAM-2, PTZ-1], consoles: [dispatch]}
devices:
  - id: INTERCOM
    kind: intercom
    location: GATE
    onvif:
      url: http://10.0.0.7/onvif/device_service
      username: u
      password: {env: CP_PW}
      event_mode: MODE
      events:
        - topic: tns1:Device/Trigger/DigitalInput
          item: LogicalState
          value: "true"
          source: {InputToken: call-button}
          event: button_press
"""


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CP_PW", "pw")


def site_text(mode: str = "pullpoint", public: str = '"http://10.0.0.1:8080"') -> str:
    return SITE.replace("MODE", mode).replace("PUBLIC", public)


def test_targets_rules_and_locations_come_from_the_site() -> None:
    site = parse_site(site_text())
    targets = {t.device_id: t for t in targets_from_site(site)}
    assert set(targets) == {"INTERCOM", "CAM-2"}  # PTZ-1 has event_mode: off (YAML false)
    intercom = targets["INTERCOM"]
    assert (intercom.location, intercom.password, intercom.mode) == ("GATE", "pw", "pullpoint")
    own = intercom.rules[0]
    assert (own.topic, own.event_type, own.item, own.value) == (
        "tns1:Device/Trigger/DigitalInput",
        "button_press",
        "LogicalState",
        "true",
    )
    assert dict(own.source) == {"InputToken": "call-button"}
    assert intercom.rules[1:] == DEFAULT_RULES
    camera = targets["CAM-2"]
    assert camera.location == "YARD" and len(camera.rules) == 1  # no default rules


def test_notify_without_public_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"event_mode notify needs server\.public_url"):
        parse_site(site_text("notify", "null"))
    assert parse_site(site_text("notify")).config.server.public_url is not None


def test_unknown_event_type_in_a_rule_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"onvif\.events\[0\]\.event: Input should be"):
        parse_site(site_text().replace("event: button_press", "event: doorbell"))
