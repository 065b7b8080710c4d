"""Validate our responses against the official ONVIF schemas onvif-zeep-async ships.

The message elements (tds:GetDeviceInformationResponse...) are declared in schemas inside
the WSDL files; they are copied out into a temporary directory next to onvif.xsd and the
WS-* schemas, and one schema importing them all is compiled once per test session.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

from lxml import etree

import onvif  # type: ignore[import-untyped]  # onvif-zeep-async ships no py.typed

WSDL_DIR = Path(onvif.__file__).parent / "wsdl"
_XS = "http://www.w3.org/2001/XMLSchema"
_WSDL = "http://schemas.xmlsoap.org/wsdl/"
_SERVICES = (
    "devicemgmt",
    "media",
    "events",
    "ptz",
    "deviceio",
    "doorcontrol",
    "accesscontrol",
    "imaging",
)


@functools.cache
def schema() -> etree.XMLSchema:
    """The compiled schema of every service we serve (Media2 has no WSDL in the package)."""
    work = Path(tempfile.mkdtemp(prefix="onvif-xsd-"))
    for item in WSDL_DIR.iterdir():
        if item.is_file():
            shutil.copy(item, work / item.name)
        elif item.is_dir() and item.name != "__pycache__":
            shutil.copytree(item, work / item.name)
    imports = []
    for name in _SERVICES:
        wsdl = etree.parse(str(WSDL_DIR / f"{name}.wsdl"))
        for i, xsd in enumerate(wsdl.getroot().iterfind(f"{{{_WSDL}}}types/{{{_XS}}}schema")):
            target = work / f"{name}-{i}.xsd"
            target.write_bytes(etree.tostring(xsd))
            imports.append((xsd.get("targetNamespace"), target.name))
    # wsnt, wstop and the addressing schema hold the event message elements.
    imports += [
        ("http://docs.oasis-open.org/wsn/b-2", "b-2.xsd"),
        ("http://docs.oasis-open.org/wsn/t-1", "t-1.xsd"),
    ]
    master = etree.Element(f"{{{_XS}}}schema", nsmap={"xs": _XS})
    for namespace, location in imports:
        etree.SubElement(master, f"{{{_XS}}}import", namespace=namespace, schemaLocation=location)
    path = work / "all.xsd"
    path.write_bytes(etree.tostring(master))
    return etree.XMLSchema(etree.parse(str(path)))


def assert_valid(element: etree._Element) -> None:
    """Raise AssertionError with the schema's complaints if `element` is not valid."""
    doc = etree.fromstring(etree.tostring(element))
    s = schema()
    if not s.validate(doc):
        errors = str(s.error_log)
        raise AssertionError(f"{etree.QName(doc).localname} invalid:\n{errors}")
