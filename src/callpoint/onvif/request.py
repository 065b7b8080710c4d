"""A SOAP request ready to send: which service it is for, its body and its action."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from callpoint.onvif.xmlutil import make


@dataclass(frozen=True, slots=True)
class Request:
    """One ONVIF operation call.

    ``service`` is the service's namespace URI (it selects the XAddr to post to);
    ``action`` the SOAP action URI, sent as the ``action`` parameter of the SOAP 1.2
    content type (application/soap+xml, RFC 3902) and by some devices required.
    ``body`` is built fresh for each call, since an envelope takes ownership of it.
    """

    service: str
    body: etree._Element
    action: str

    @property
    def operation(self) -> str:
        """The operation name: the body element's local name."""
        return str(self.body.tag).rpartition("}")[2]


def request(
    service: str, operation: str, *children: etree._Element | None, action: str | None = None
) -> Request:
    """Build ``<service:operation>children</...>`` with the WSDL's default action URI.

    The ONVIF WSDLs leave ``soapAction`` to WS-Addressing defaults, which devices read as
    ``{namespace}/{operation}``; events and WS-N operations pass their own.
    """
    body = make(f"{{{service}}}{operation}", *children)
    return Request(service, body, action or f"{service}/{operation}")
