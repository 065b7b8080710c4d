"""XML namespace URIs used by ONVIF and the WS-* specifications it builds on.

Prefixes in :data:`NSMAP` are the conventional ones from the ONVIF WSDLs; parsers must
never rely on a peer using them (devices redefine prefixes freely), only on the URIs.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# SOAP 1.2 (W3C Recommendation, part 1 section 5).
SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
# SOAP 1.1, only recognised so that a 1.1 reply is reported clearly.
SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSD = "http://www.w3.org/2001/XMLSchema"
XML = "http://www.w3.org/XML/1998/namespace"

# OASIS WS-Security 1.0 and the UsernameToken profile.
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_WSSE_UTP = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
# Password type URIs (not passwords).
WSSE_PASSWORD_DIGEST = _WSSE_UTP + "#PasswordDigest"
WSSE_PASSWORD_TEXT = _WSSE_UTP + "#PasswordText"
WSSE_BASE64 = (
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
)

# WS-Addressing 1.0 (used by WS-BaseNotification and ONVIF events).
WSA = "http://www.w3.org/2005/08/addressing"
# WS-Addressing 2004/08, used by WS-Discovery 1.0 (April 2005).
WSA_2004 = "http://schemas.xmlsoap.org/ws/2004/08/addressing"

# ONVIF services.
TDS = "http://www.onvif.org/ver10/device/wsdl"
TRT = "http://www.onvif.org/ver10/media/wsdl"
TR2 = "http://www.onvif.org/ver20/media/wsdl"
TPTZ = "http://www.onvif.org/ver20/ptz/wsdl"
TEV = "http://www.onvif.org/ver10/events/wsdl"
TMD = "http://www.onvif.org/ver10/deviceIO/wsdl"
TDC = "http://www.onvif.org/ver10/doorcontrol/wsdl"
TAC = "http://www.onvif.org/ver10/accesscontrol/wsdl"
TIMG = "http://www.onvif.org/ver20/imaging/wsdl"
TAN = "http://www.onvif.org/ver20/analytics/wsdl"
PT = "http://www.onvif.org/ver10/pacs"
TT = "http://www.onvif.org/ver10/schema"
TER = "http://www.onvif.org/ver10/error"
TNS1 = "http://www.onvif.org/ver10/topics"

# OASIS WS-Notification.
WSNT = "http://docs.oasis-open.org/wsn/b-2"
WSRF_BF = "http://docs.oasis-open.org/wsrf/bf-2"
WSTOP = "http://docs.oasis-open.org/wsn/t-1"
# Topic expression dialects (WS-Topics 1.3; ONVIF Core, event handling).
TOPIC_DIALECT_CONCRETE_SET = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet"
TOPIC_DIALECT_CONCRETE = "http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete"
MESSAGE_CONTENT_DIALECT = "http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter"

# WS-Discovery 1.0 (April 2005) and the ONVIF network-video-transmitter type.
WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
DN = "http://www.onvif.org/ver10/network/wsdl"

NSMAP: Mapping[str, str] = MappingProxyType(
    {
        "s": SOAP_ENV,
        "xsi": XSI,
        "xs": XSD,
        "wsse": WSSE,
        "wsu": WSU,
        "wsa": WSA,
        "tds": TDS,
        "trt": TRT,
        "tr2": TR2,
        "tptz": TPTZ,
        "tev": TEV,
        "tmd": TMD,
        "tdc": TDC,
        "tac": TAC,
        "timg": TIMG,
        "tan": TAN,
        "pt": PT,
        "tt": TT,
        "ter": TER,
        "tns1": TNS1,
        "wsnt": WSNT,
        "wsrf-bf": WSRF_BF,
        "wstop": WSTOP,
        "wsd": WSD,
        "dn": DN,
    }
)
"""Conventional prefix -> URI, for building XML and for XPath over parsed replies."""


def qname(ns: str, local: str) -> str:
    """Clark notation ``{ns}local`` as lxml uses it."""
    return f"{{{ns}}}{local}"
