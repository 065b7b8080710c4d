"""callpoint's ONVIF library: SOAP 1.2 core, security, services, client.

Importable on its own: nothing here depends on the rest of callpoint. Messages are built
from small templates and parsed with a hardened lxml parser; no WSDL is loaded at run time.

Layers, bottom up (each usable alone):

- :mod:`.xmlsafe`, :mod:`.soap`, :mod:`.errors`, :mod:`.namespaces`: bytes <-> envelopes,
  faults <-> typed exceptions;
- :mod:`.security`, :mod:`.httpdigest`: WS-UsernameToken and HTTP Digest, both sides;
- :mod:`.device`, :mod:`.media`, :mod:`.ptz`, :mod:`.deviceio`, :mod:`.events`,
  :mod:`.doorcontrol`, :mod:`.notification`, :mod:`.scopes`: pure request builders and
  reply parsers per service; :mod:`.eventmap`: notifications to event types by rules;
- :mod:`.http11`, :mod:`.httpclient`, :mod:`.transport`: HTTP/1.1 and the per-device
  session (clock offset, Digest state); :mod:`.client`: the :class:`OnvifDevice` facade;
  :mod:`.consumer`: the Notify endpoint (aiohttp).
"""

from callpoint.onvif.client import OnvifDevice
from callpoint.onvif.errors import (
    ActionNotSupportedFault,
    InvalidArgsFault,
    LocalProtocolError,
    NotAuthorizedFault,
    OnvifError,
    RemoteProtocolError,
    SoapFault,
    TransportError,
)
from callpoint.onvif.eventmap import DEFAULT_RULES, EventRule, MappedEvent, map_event
from callpoint.onvif.request import Request
from callpoint.onvif.soap import Envelope, build_envelope, build_fault, parse_envelope
from callpoint.onvif.transport import SoapHttp

__all__ = [
    "DEFAULT_RULES",
    "ActionNotSupportedFault",
    "Envelope",
    "EventRule",
    "InvalidArgsFault",
    "LocalProtocolError",
    "MappedEvent",
    "NotAuthorizedFault",
    "OnvifDevice",
    "OnvifError",
    "RemoteProtocolError",
    "Request",
    "SoapFault",
    "SoapHttp",
    "TransportError",
    "build_envelope",
    "build_fault",
    "map_event",
    "parse_envelope",
]
