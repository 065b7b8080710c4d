"""Build an lxml XMLSchema from the official ONVIF WSDL/XSD files shipped by
onvif-zeep-async (a test-only dependency; its ``onvif`` package is never imported by src).

The service messages live in schemas embedded in the WSDLs; they are extracted next to a
copy of the package's wsdl folder so that their relative imports resolve, then imported
by one master schema.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
# WSDLs whose messages we send. remotediscovery imports over the network, so not it.
SERVICE_WSDLS = (
    "devicemgmt.wsdl",
    "media.wsdl",
    "ptz.wsdl",
    "deviceio.wsdl",
    "events.wsdl",
    "doorcontrol.wsdl",
    "accesscontrol.wsdl",
)
# Plain schemas also needed at top level (WS-BaseNotification for Renew, Subscribe...).
EXTRA_XSDS = (("http://docs.oasis-open.org/wsn/b-2", "b-2.xsd"),)


def wsdl_dir() -> Path | None:
    """The wsdl folder of onvif-zeep-async, or None if it is not installed."""
    spec = importlib.util.find_spec("onvif")
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        candidate = Path(loc) / "wsdl"
        if (candidate / "devicemgmt.wsdl").is_file():
            return candidate
    return None


def build_schema(workdir: Path) -> etree.XMLSchema:
    """Extract the embedded schemas and compile one schema importing them all."""
    src = wsdl_dir()
    if src is None:
        raise FileNotFoundError("onvif-zeep-async's wsdl folder not found")
    dst = workdir / "wsdl"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    imports: list[tuple[str, str]] = list(EXTRA_XSDS)
    for name in SERVICE_WSDLS:
        doc = etree.parse(str(dst / name), parser)
        root = doc.getroot()
        for i, schema in enumerate(root.iterfind(f"{{{WSDL}}}types/{{{XS}}}schema")):
            # Carry the WSDL's namespace declarations: type="tt:..." values need them.
            nsmap = {**root.nsmap, **schema.nsmap}
            out = etree.Element(f"{{{XS}}}schema", dict(schema.attrib), nsmap=nsmap)
            for c in schema:
                out.append(etree.fromstring(etree.tostring(c)) if isinstance(c.tag, str) else c)
            fname = f"{name}.{i}.xsd"
            (dst / fname).write_bytes(etree.tostring(out, xml_declaration=True, encoding="utf-8"))
            imports.append((str(schema.get("targetNamespace")), fname))
    master = etree.Element(f"{{{XS}}}schema", nsmap={"xs": XS})
    for ns, loc in imports:
        etree.SubElement(master, f"{{{XS}}}import", namespace=ns, schemaLocation=loc)
    master_path = dst / "master.xsd"
    master_path.write_bytes(etree.tostring(master))
    return etree.XMLSchema(etree.parse(str(master_path), parser))
