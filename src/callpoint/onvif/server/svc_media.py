"""Media (ver10, media.wsdl) and Media2 (ver20) services: profiles and URIs.

The stream and snapshot URIs are whatever the media server injected into the device's
profiles (`VirtualDevice.set_media_uris`); this module only reports them.
"""

from __future__ import annotations

from lxml import etree

from callpoint.onvif.errors import InvalidArgsFault
from callpoint.onvif.namespaces import TER, TR2, TRT, TT, qname
from callpoint.onvif.server.device import PTZ_CONFIGURATION_TOKEN, PTZ_NODE_TOKEN
from callpoint.onvif.server.device_errors import UnknownTokenError
from callpoint.onvif.server.dispatch import AccessClass, Reply, Request, Service, operation
from callpoint.onvif.server.model import MediaProfile
from callpoint.onvif.server.runtime import DeviceRuntime
from callpoint.onvif.server.xmlbuild import opt_text, req_text, root, sub

PAN_TILT_POSITION_SPACE = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"
ZOOM_POSITION_SPACE = "http://www.onvif.org/ver10/tptz/ZoomSpaces/PositionGenericSpace"
#: How long a stream URI stays valid (it does not change while the device runs).
URI_TIMEOUT = "PT0S"


def _profile(runtime: DeviceRuntime, token: str) -> MediaProfile:
    try:
        return runtime.device.media_profile(token)
    except UnknownTokenError:
        raise InvalidArgsFault(
            f"no profile {token!r}",
            subcodes=(qname(TER, "InvalidArgVal"), qname(TER, "NoProfile")),
        ) from None


def video_source_configuration(
    parent: etree._Element, ns: str, local: str, p: MediaProfile
) -> None:
    """tt:VideoSourceConfiguration for a profile."""
    vsc = sub(parent, ns, local, token=f"VSC_{p.video_source_token}")
    sub(vsc, TT, "Name", f"VSC_{p.video_source_token}")
    sub(vsc, TT, "UseCount", "1")
    sub(vsc, TT, "SourceToken", p.video_source_token)
    sub(vsc, TT, "Bounds", x="0", y="0", width=str(p.width), height=str(p.height))


def ptz_configuration(parent: etree._Element, ns: str, local: str) -> None:
    """tt:PTZConfiguration of the single PTZ node."""
    cfg = sub(parent, ns, local, token=PTZ_CONFIGURATION_TOKEN)
    sub(cfg, TT, "Name", PTZ_CONFIGURATION_TOKEN)
    sub(cfg, TT, "UseCount", "1")
    sub(cfg, TT, "NodeToken", PTZ_NODE_TOKEN)
    sub(cfg, TT, "DefaultAbsolutePantTiltPositionSpace", PAN_TILT_POSITION_SPACE)
    sub(cfg, TT, "DefaultAbsoluteZoomPositionSpace", ZOOM_POSITION_SPACE)
    sub(cfg, TT, "DefaultPTZTimeout", "PT5S")


def video_encoder_configuration(
    parent: etree._Element, ns: str, local: str, p: MediaProfile
) -> None:
    """tt:VideoEncoderConfiguration (Media ver10) of a profile."""
    vec = sub(parent, ns, local, token=f"VEC_{p.token}")
    sub(vec, TT, "Name", f"VEC_{p.token}")
    sub(vec, TT, "UseCount", "1")
    sub(vec, TT, "Encoding", p.encoding)
    res = sub(vec, TT, "Resolution")
    sub(res, TT, "Width", str(p.width))
    sub(res, TT, "Height", str(p.height))
    sub(vec, TT, "Quality", "5")
    rate = sub(vec, TT, "RateControl")
    sub(rate, TT, "FrameRateLimit", str(p.framerate))
    sub(rate, TT, "EncodingInterval", "1")
    sub(rate, TT, "BitrateLimit", str(p.bitrate_kbps))
    if p.encoding == "H264":
        h264 = sub(vec, TT, "H264")
        sub(h264, TT, "GovLength", str(p.framerate * 2))
        sub(h264, TT, "H264Profile", "Main")
    mcast = sub(vec, TT, "Multicast")
    addr = sub(mcast, TT, "Address")
    sub(addr, TT, "Type", "IPv4")
    sub(addr, TT, "IPv4Address", "0.0.0.0")  # noqa: S104 - "no multicast", not a bind
    sub(mcast, TT, "Port", "0")
    sub(mcast, TT, "TTL", "1")
    sub(mcast, TT, "AutoStart", "false")
    sub(vec, TT, "SessionTimeout", "PT60S")


def _profile_v10(parent: etree._Element, local: str, p: MediaProfile, has_ptz: bool) -> None:
    prof = sub(parent, TRT, local, token=p.token, fixed="true")
    sub(prof, TT, "Name", p.name)
    video_source_configuration(prof, TT, "VideoSourceConfiguration", p)
    video_encoder_configuration(prof, TT, "VideoEncoderConfiguration", p)
    if has_ptz and p.with_ptz:
        ptz_configuration(prof, TT, "PTZConfiguration")


def _media_uri(parent: etree._Element, local: str, uri: str) -> None:
    media_uri = sub(parent, TRT, local)
    sub(media_uri, TT, "Uri", uri)
    sub(media_uri, TT, "InvalidAfterConnect", "false")
    sub(media_uri, TT, "InvalidAfterReboot", "false")
    sub(media_uri, TT, "Timeout", URI_TIMEOUT)


@operation(Service.MEDIA, qname(TRT, "GetProfiles"), AccessClass.READ_MEDIA)
async def get_profiles(req: Request) -> Reply:
    """Every media profile."""
    body = root(TRT, "GetProfilesResponse")
    dev = req.runtime.device
    for p in dev.media_profiles.values():
        _profile_v10(body, "Profiles", p, dev.config.has_ptz)
    return Reply(body)


@operation(Service.MEDIA, qname(TRT, "GetProfile"), AccessClass.READ_MEDIA)
async def get_profile(req: Request) -> Reply:
    """One media profile."""
    p = _profile(req.runtime, req_text(req.body, "ProfileToken"))
    body = root(TRT, "GetProfileResponse")
    _profile_v10(body, "Profile", p, req.runtime.device.config.has_ptz)
    return Reply(body)


@operation(Service.MEDIA, qname(TRT, "GetStreamUri"), AccessClass.READ_MEDIA)
async def get_stream_uri(req: Request) -> Reply:
    """The RTSP URI of a profile (RTP over RTSP/TCP or UDP unicast)."""
    p = _profile(req.runtime, req_text(req.body, "ProfileToken"))
    body = root(TRT, "GetStreamUriResponse")
    _media_uri(body, "MediaUri", p.stream_uri)
    return Reply(body)


@operation(Service.MEDIA, qname(TRT, "GetSnapshotUri"), AccessClass.READ_MEDIA)
async def get_snapshot_uri(req: Request) -> Reply:
    """The JPEG snapshot URI of a profile."""
    p = _profile(req.runtime, req_text(req.body, "ProfileToken"))
    if not p.snapshot_uri:
        raise InvalidArgsFault("profile has no snapshot", subcodes=(qname(TER, "NoSnapshot"),))
    body = root(TRT, "GetSnapshotUriResponse")
    _media_uri(body, "MediaUri", p.snapshot_uri)
    return Reply(body)


@operation(Service.MEDIA, qname(TRT, "GetVideoSources"), AccessClass.READ_MEDIA)
async def get_video_sources(req: Request) -> Reply:
    """One video source per distinct source token of the profiles."""
    body = root(TRT, "GetVideoSourcesResponse")
    seen: set[str] = set()
    for p in req.runtime.device.media_profiles.values():
        if p.video_source_token in seen:
            continue
        seen.add(p.video_source_token)
        src = sub(body, TRT, "VideoSources", token=p.video_source_token)
        sub(src, TT, "Framerate", str(p.framerate))
        res = sub(src, TT, "Resolution")
        sub(res, TT, "Width", str(p.width))
        sub(res, TT, "Height", str(p.height))
    return Reply(body)


@operation(Service.MEDIA, qname(TRT, "GetAudioOutputs"), AccessClass.READ_MEDIA)
async def get_audio_outputs(req: Request) -> Reply:
    """Audio outputs (an intercom's loudspeaker)."""
    body = root(TRT, "GetAudioOutputsResponse")
    if any(p.with_audio_output for p in req.runtime.device.media_profiles.values()):
        sub(body, TRT, "AudioOutputs", token="AudioOutput_1")  # noqa: S106 - ONVIF token
    return Reply(body)


@operation(Service.MEDIA, qname(TRT, "GetVideoSourceConfigurations"), AccessClass.READ_MEDIA)
async def get_video_source_configurations(req: Request) -> Reply:
    """One video source configuration per distinct source."""
    body = root(TRT, "GetVideoSourceConfigurationsResponse")
    seen: set[str] = set()
    for p in req.runtime.device.media_profiles.values():
        if p.video_source_token not in seen:
            seen.add(p.video_source_token)
            video_source_configuration(body, TRT, "Configurations", p)
    return Reply(body)


@operation(Service.MEDIA, qname(TRT, "GetVideoEncoderConfigurations"), AccessClass.READ_MEDIA)
async def get_video_encoder_configurations(req: Request) -> Reply:
    """The encoder configuration of every profile."""
    body = root(TRT, "GetVideoEncoderConfigurationsResponse")
    for p in req.runtime.device.media_profiles.values():
        video_encoder_configuration(body, TRT, "Configurations", p)
    return Reply(body)


@operation(Service.MEDIA, qname(TRT, "GetAudioSources"), AccessClass.READ_MEDIA)
async def get_audio_sources(req: Request) -> Reply:
    """No audio sources: the virtual devices stream video only."""
    return Reply(root(TRT, "GetAudioSourcesResponse"))


# Media2 (ver20) ------------------------------------------------------------------------


@operation(Service.MEDIA2, qname(TR2, "GetProfiles"), AccessClass.READ_MEDIA)
async def get_profiles2(req: Request) -> Reply:
    """tr2:MediaProfile list, optionally one token; configurations included."""
    dev = req.runtime.device
    wanted = opt_text(req.body, "Token")
    profiles = [_profile(req.runtime, wanted)] if wanted else list(dev.media_profiles.values())
    body = root(TR2, "GetProfilesResponse")
    for p in profiles:
        prof = sub(body, TR2, "Profiles", token=p.token, fixed="true")
        sub(prof, TR2, "Name", p.name)
        configs = sub(prof, TR2, "Configurations")
        video_source_configuration(configs, TR2, "VideoSource", p)
        vec = sub(configs, TR2, "VideoEncoder", token=f"VEC_{p.token}", GovLength="50")
        sub(vec, TT, "Name", f"VEC_{p.token}")
        sub(vec, TT, "UseCount", "1")
        sub(vec, TT, "Encoding", p.encoding)
        res = sub(vec, TT, "Resolution")
        sub(res, TT, "Width", str(p.width))
        sub(res, TT, "Height", str(p.height))
        rate = sub(vec, TT, "RateControl")
        sub(rate, TT, "FrameRateLimit", str(p.framerate))
        sub(rate, TT, "BitrateLimit", str(p.bitrate_kbps))
        sub(vec, TT, "Quality", "5")
        if dev.config.has_ptz and p.with_ptz:
            ptz_configuration(configs, TR2, "PTZ")
    return Reply(body)


@operation(Service.MEDIA2, qname(TR2, "GetStreamUri"), AccessClass.READ_MEDIA)
async def get_stream_uri2(req: Request) -> Reply:
    """The RTSP URI of a profile (Protocol RTSP or RtspUnicast)."""
    p = _profile(req.runtime, req_text(req.body, "ProfileToken"))
    protocol = opt_text(req.body, "Protocol") or "RTSP"
    if protocol not in ("RTSP", "RtspUnicast", "RtspOverHttp"):
        raise InvalidArgsFault(f"unsupported stream protocol {protocol!r}")
    body = root(TR2, "GetStreamUriResponse")
    sub(body, TR2, "Uri", p.stream_uri)
    return Reply(body)


@operation(Service.MEDIA2, qname(TR2, "GetSnapshotUri"), AccessClass.READ_MEDIA)
async def get_snapshot_uri2(req: Request) -> Reply:
    """The JPEG snapshot URI of a profile."""
    p = _profile(req.runtime, req_text(req.body, "ProfileToken"))
    if not p.snapshot_uri:
        raise InvalidArgsFault("profile has no snapshot", subcodes=(qname(TER, "NoSnapshot"),))
    body = root(TR2, "GetSnapshotUriResponse")
    sub(body, TR2, "Uri", p.snapshot_uri)
    return Reply(body)


@operation(Service.MEDIA2, qname(TR2, "GetAudioOutputConfigurations"), AccessClass.READ_MEDIA)
async def get_audio_output_configurations2(req: Request) -> Reply:
    """Audio output configurations (one per device with a loudspeaker)."""
    body = root(TR2, "GetAudioOutputConfigurationsResponse")
    if any(p.with_audio_output for p in req.runtime.device.media_profiles.values()):
        cfg = sub(body, TR2, "Configurations", token="AOC_1")  # noqa: S106 - ONVIF token
        sub(cfg, TT, "Name", "AOC_1")
        sub(cfg, TT, "UseCount", "1")
        sub(cfg, TT, "OutputToken", "AudioOutput_1")
        sub(cfg, TT, "OutputLevel", "80")
    return Reply(body)
