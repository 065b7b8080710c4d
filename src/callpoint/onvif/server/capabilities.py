"""Which services a device hosts, and their capabilities (GetServices, GetCapabilities).

Each service's GetServiceCapabilities is registered here too, so the element a client gets
from GetServices(IncludeCapability) and from GetServiceCapabilities is the same builder.
"""

from __future__ import annotations

from lxml import etree

from callpoint.onvif.namespaces import TAC, TDC, TDS, TEV, TIMG, TMD, TPTZ, TR2, TRT, TT, qname
from callpoint.onvif.server.dispatch import AccessClass, Reply, Request, Service, operation
from callpoint.onvif.server.runtime import DeviceRuntime, service_url
from callpoint.onvif.server.subscriptions import MAX_SUBSCRIPTIONS
from callpoint.onvif.server.xmlbuild import root, sub, xbool

#: (major, minor) ONVIF version each service reports in GetServices.
SERVICE_VERSION = (2, 40)


def hosted_services(runtime: DeviceRuntime) -> list[Service]:
    """The services this device exposes, in GetServices order."""
    dev = runtime.device
    found = [Service.DEVICE]
    if dev.media_profiles:
        found += [Service.MEDIA, Service.MEDIA2, Service.IMAGING]
    found.append(Service.EVENTS)
    if dev.config.has_ptz:
        found.append(Service.PTZ)
    if dev.relays or dev.inputs:
        found.append(Service.DEVICEIO)
    if dev.doors:
        found += [Service.DOORCONTROL, Service.ACCESSCONTROL]
    return found


def device_capabilities(parent: etree._Element, runtime: DeviceRuntime) -> etree._Element:
    """tds:Capabilities (DeviceServiceCapabilities)."""
    caps = sub(parent, TDS, "Capabilities")
    sub(caps, TDS, "Network", IPFilter="false", ZeroConfiguration="false", IPVersion6="false")
    sub(
        caps,
        TDS,
        "Security",
        UsernameToken="true",
        HttpDigest="true",
        DefaultAccessPolicy="true",
        MaxUsers=str(len(runtime.device.config.users)),
    )
    sub(caps, TDS, "System", DiscoveryResolve="true", DiscoveryBye="true")
    return caps


def service_capabilities(parent: etree._Element, service: Service, runtime: DeviceRuntime) -> None:
    """Append the `Capabilities` element of one service under `parent`."""
    dev = runtime.device
    if service is Service.DEVICE:
        device_capabilities(parent, runtime)
    elif service is Service.MEDIA:
        caps = sub(parent, TRT, "Capabilities", SnapshotUri="true")
        sub(caps, TRT, "ProfileCapabilities", MaximumNumberOfProfiles=str(len(dev.media_profiles)))
        sub(caps, TRT, "StreamingCapabilities", RTPMulticast="false", RTP_TCP="true")
    elif service is Service.MEDIA2:
        caps = sub(parent, TR2, "Capabilities", SnapshotUri="true")
        sub(caps, TR2, "ProfileCapabilities", MaximumNumberOfProfiles=str(len(dev.media_profiles)))
        sub(caps, TR2, "StreamingCapabilities", RTSPStreaming="true", RTPMulticast="false")
    elif service is Service.EVENTS:
        sub(
            parent,
            TEV,
            "Capabilities",
            WSSubscriptionPolicySupport="false",
            WSPullPointSupport="true",
            WSPausableSubscriptionManagerInterfaceSupport="false",
            MaxNotificationProducers=str(MAX_SUBSCRIPTIONS),
            MaxPullPoints=str(MAX_SUBSCRIPTIONS),
        )
    elif service is Service.PTZ:
        sub(parent, TPTZ, "Capabilities", EFlip="false", Reverse="false")
    elif service is Service.DEVICEIO:
        sub(
            parent,
            TMD,
            "Capabilities",
            VideoSources=str(len({p.video_source_token for p in dev.media_profiles.values()})),
            RelayOutputs=str(len(dev.relays)),
            DigitalInputs=str(len(dev.inputs)),
        )
    elif service is Service.DOORCONTROL:
        sub(parent, TDC, "Capabilities", MaxLimit="100")
    elif service is Service.IMAGING:
        sub(parent, TIMG, "Capabilities", ImageStabilization="false")
    elif service is Service.ACCESSCONTROL:
        sub(parent, TAC, "Capabilities", MaxLimit="100")


def capability_tree(body: etree._Element, req: Request, categories: frozenset[str]) -> None:
    """tt:Capabilities of GetCapabilities for the asked categories (or All)."""
    runtime = req.runtime
    dev = runtime.device
    hosted = hosted_services(runtime)
    caps = sub(body, TDS, "Capabilities")

    def want(name: str) -> bool:
        return "All" in categories or name in categories

    if want("Device"):
        device = sub(caps, TT, "Device")
        sub(device, TT, "XAddr", service_url(req.base_url, Service.DEVICE))
        net = sub(device, TT, "Network")
        for flag in ("IPFilter", "ZeroConfiguration", "IPVersion6", "DynDNS"):
            sub(net, TT, flag, "false")
        system = sub(device, TT, "System")
        for flag, value in (
            ("DiscoveryResolve", True),
            ("DiscoveryBye", True),
            ("RemoteDiscovery", False),
            ("SystemBackup", False),
            ("SystemLogging", False),
            ("FirmwareUpgrade", False),
        ):
            sub(system, TT, flag, xbool(value))
        version = sub(system, TT, "SupportedVersions")
        sub(version, TT, "Major", str(SERVICE_VERSION[0]))
        sub(version, TT, "Minor", str(SERVICE_VERSION[1]))
        io = sub(device, TT, "IO")
        sub(io, TT, "InputConnectors", str(len(dev.inputs)))
        sub(io, TT, "RelayOutputs", str(len(dev.relays)))
        security = sub(device, TT, "Security")
        for flag in (
            "TLS1.1",
            "TLS1.2",
            "OnboardKeyGeneration",
            "AccessPolicyConfig",
            "X.509Token",
            "SAMLToken",
            "KerberosToken",
            "RELToken",
        ):
            sub(security, TT, flag, "false")
    if want("Events"):
        events = sub(caps, TT, "Events")
        sub(events, TT, "XAddr", service_url(req.base_url, Service.EVENTS))
        sub(events, TT, "WSSubscriptionPolicySupport", "false")
        sub(events, TT, "WSPullPointSupport", "true")
        sub(events, TT, "WSPausableSubscriptionManagerInterfaceSupport", "false")
    if want("Imaging") and Service.IMAGING in hosted:
        imaging = sub(caps, TT, "Imaging")
        sub(imaging, TT, "XAddr", service_url(req.base_url, Service.IMAGING))
    if want("Media") and Service.MEDIA in hosted:
        media = sub(caps, TT, "Media")
        sub(media, TT, "XAddr", service_url(req.base_url, Service.MEDIA))
        streaming = sub(media, TT, "StreamingCapabilities")
        sub(streaming, TT, "RTPMulticast", "false")
        sub(streaming, TT, "RTP_TCP", "true")
        sub(streaming, TT, "RTP_RTSP_TCP", "true")
    if want("PTZ") and Service.PTZ in hosted:
        ptz = sub(caps, TT, "PTZ")
        sub(ptz, TT, "XAddr", service_url(req.base_url, Service.PTZ))
    if "All" in categories and Service.DEVICEIO in hosted:
        extension = sub(caps, TT, "Extension")
        deviceio = sub(extension, TT, "DeviceIO")
        sub(deviceio, TT, "XAddr", service_url(req.base_url, Service.DEVICEIO))
        sources = len({p.video_source_token for p in dev.media_profiles.values()})
        outputs = sum(1 for p in dev.media_profiles.values() if p.with_audio_output)
        for name, count in (
            ("VideoSources", sources),
            ("VideoOutputs", 0),
            ("AudioSources", 0),
            ("AudioOutputs", outputs),
            ("RelayOutputs", len(dev.relays)),
        ):
            sub(deviceio, TT, name, str(count))


def _capabilities_handler(service: Service, ns: str) -> None:
    async def handler(req: Request) -> Reply:
        body = root(ns, "GetServiceCapabilitiesResponse")
        service_capabilities(body, service, req.runtime)
        return Reply(body)

    handler.__doc__ = f"GetServiceCapabilities of the {service.name} service."
    operation(service, qname(ns, "GetServiceCapabilities"), AccessClass.PRE_AUTH)(handler)


for _service, _ns in (
    (Service.DEVICE, TDS),
    (Service.MEDIA, TRT),
    (Service.MEDIA2, TR2),
    (Service.EVENTS, TEV),
    (Service.PTZ, TPTZ),
    (Service.DEVICEIO, TMD),
    (Service.DOORCONTROL, TDC),
    (Service.ACCESSCONTROL, TAC),
    (Service.IMAGING, TIMG),
):
    _capabilities_handler(_service, _ns)
