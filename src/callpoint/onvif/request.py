"""A SOAP request ready to send: which service it is for, its body and its action."""

from __future__ import annotations

import functools

from lxml import etree

from callpoint.onvif.xmlutil import make


class Request:
    """One ONVIF operation call.

    ``service`` is the service's namespace URI (it selects the XAddr to post to);
    ``action`` the SOAP action URI, sent as the ``action`` parameter of the SOAP 1.2
    content type (application/soap+xml, RFC 3902) and by some devices required.

    The body exists as an element, as bytes (:attr:`xml`, what is sent), or both; each
    is made from the other on first use. A request made from bytes alone is immutable
    and can be shared between calls (:func:`constant`): its :attr:`body` is then a fresh
    element on every access, so changing one cannot alter what is sent later.
    """

    __slots__ = ("_body", "_xml", "action", "operation", "service")

    def __init__(
        self,
        service: str,
        body: etree._Element | None,
        action: str,
        *,
        xml: bytes | None = None,
        operation: str | None = None,
    ) -> None:
        if body is None and (xml is None or operation is None):
            raise ValueError("a Request needs a body element, or its bytes and operation")
        self.service = service
        self.action = action
        self._body = body
        self._xml = xml
        self.operation: str = operation or str(body.tag).rpartition("}")[2]  # type: ignore[union-attr]
        """The operation name: the body element's local name."""

    @property
    def body(self) -> etree._Element:
        """The body element (of a request made from bytes: a new parse on each access)."""
        if self._body is not None:
            return self._body
        assert self._xml is not None
        # Our own serialisation, not peer input: lxml's default parser is fine here.
        return etree.fromstring(self._xml)

    @property
    def xml(self) -> bytes:
        """The serialised body element, as it goes inside ``s:Body``."""
        if self._xml is None:
            assert self._body is not None
            self._xml = etree.tostring(
                self._body, encoding="utf-8", xml_declaration=False, with_tail=False
            )
        return self._xml

    def __repr__(self) -> str:
        return f"Request({self.service!r}, {self.operation!r}, action={self.action!r})"


def constant(req: Request) -> Request:
    """``req`` kept as bytes only: immutable, so one instance can serve every call."""
    return Request(req.service, None, req.action, xml=req.xml, operation=req.operation)


@functools.lru_cache(maxsize=512)
def _empty(service: str, operation: str, action: str) -> Request:
    return constant(Request(service, make(f"{{{service}}}{operation}"), action))


def request(
    service: str, operation: str, *children: etree._Element | None, action: str | None = None
) -> Request:
    """Build ``<service:operation>children</...>`` with the WSDL's default action URI.

    The ONVIF WSDLs leave ``soapAction`` to WS-Addressing defaults, which devices read as
    ``{namespace}/{operation}``; events and WS-N operations pass their own. A request
    without children (GetDeviceInformation, GetSystemDateAndTime...) is built and
    serialised once and then shared.
    """
    act = action or f"{service}/{operation}"
    if not any(c is not None for c in children):
        return _empty(service, operation, act)
    return Request(service, make(f"{{{service}}}{operation}", *children), act)
