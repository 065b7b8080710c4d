"""Media service ver10 (trt) and Media2 (tr2): profiles, stream and snapshot URIs, audio.

Builders take ``media2=True`` for the ver20 service; parsers read either shape, since a
reply names its own elements. Audio outputs and decoders reveal a backchannel (Profile T
and S audio-out): a profile with an AudioOutput and an AudioDecoder configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

from callpoint.onvif.errors import LocalProtocolError, RemoteProtocolError
from callpoint.onvif.namespaces import TR2, TRT, TT
from callpoint.onvif.request import Request, constant, request
from callpoint.onvif.xmlutil import (
    Element,
    child,
    children,
    expect,
    make,
    need_text,
    text,
    to_bool,
    to_float,
    to_int,
    to_seconds,
)


@dataclass(frozen=True, slots=True)
class MediaProfile:
    """A media profile, reduced to what callpoint uses, from either service version."""

    token: str
    name: str
    fixed: bool = False
    video_source_token: str | None = None
    video_encoding: str | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    bitrate_kbps: int | None = None
    audio_encoding: str | None = None
    ptz_configuration_token: str | None = None
    ptz_node_token: str | None = None
    audio_output_token: str | None = None
    audio_decoder_token: str | None = None
    has_metadata: bool = False

    @property
    def has_backchannel(self) -> bool:
        """Both an audio output and an audio decoder are attached (two-way audio)."""
        return self.audio_output_token is not None and self.audio_decoder_token is not None


@dataclass(frozen=True, slots=True)
class MediaUri:
    """tt:MediaUri (ver10) or a bare tr2:Uri (Media2, the flags then unknown)."""

    uri: str
    invalid_after_connect: bool = False
    invalid_after_reboot: bool = False
    timeout_s: float | None = None


@dataclass(frozen=True, slots=True)
class AudioConfiguration:
    """An audio output or decoder configuration (token, name, use count)."""

    token: str
    name: str
    use_count: int | None = None
    output_token: str | None = None


def _svc(media2: bool) -> str:
    return TR2 if media2 else TRT


def _token(token: str) -> str:
    if not token:
        raise LocalProtocolError("profile token is empty")
    return token


_GET_PROFILES_ALL = constant(request(TR2, "GetProfiles", make(f"{{{TR2}}}Type", text="All")))


def get_profiles(media2: bool = False) -> Request:
    """GetProfiles; Media2 asks for every configuration type (``Type=All``)."""
    if media2:
        return _GET_PROFILES_ALL
    return request(TRT, "GetProfiles")


def _encoder(
    enc: Element | None,
) -> tuple[str | None, int | None, int | None, float | None, int | None]:
    if enc is None:
        return None, None, None, None, None
    return (
        text(enc, "Encoding"),
        to_int(text(enc, "Resolution", "Width")),
        to_int(text(enc, "Resolution", "Height")),
        to_float(text(enc, "RateControl", "FrameRateLimit")),
        to_int(text(enc, "RateControl", "BitrateLimit")),
    )


def _profile_v10(p: Element, token: str, name: str, fixed: bool) -> MediaProfile:
    enc, w, h, fps, br = _encoder(child(p, "VideoEncoderConfiguration"))
    ptz = child(p, "PTZConfiguration")
    ext = child(p, "Extension")
    out = child(ext, "AudioOutputConfiguration") if ext is not None else None
    dec = child(ext, "AudioDecoderConfiguration") if ext is not None else None
    return MediaProfile(
        token=token,
        name=name,
        fixed=fixed,
        video_source_token=text(p, "VideoSourceConfiguration", "SourceToken"),
        video_encoding=enc,
        width=w,
        height=h,
        frame_rate=fps,
        bitrate_kbps=br,
        audio_encoding=text(p, "AudioEncoderConfiguration", "Encoding"),
        ptz_configuration_token=ptz.get("token") if ptz is not None else None,
        ptz_node_token=text(p, "PTZConfiguration", "NodeToken"),
        audio_output_token=out.get("token") if out is not None else None,
        audio_decoder_token=dec.get("token") if dec is not None else None,
        has_metadata=child(p, "MetadataConfiguration") is not None,
    )


def _profile_v20(p: Element, cfg: Element, token: str, name: str, fixed: bool) -> MediaProfile:
    enc, w, h, fps, br = _encoder(child(cfg, "VideoEncoder"))
    ptz = child(cfg, "PTZ")
    out = child(cfg, "AudioOutput")
    dec = child(cfg, "AudioDecoder")
    return MediaProfile(
        token=token,
        name=name,
        fixed=fixed,
        video_source_token=text(cfg, "VideoSource", "SourceToken"),
        video_encoding=enc,
        width=w,
        height=h,
        frame_rate=fps,
        bitrate_kbps=br,
        audio_encoding=text(cfg, "AudioEncoder", "Encoding"),
        ptz_configuration_token=ptz.get("token") if ptz is not None else None,
        ptz_node_token=text(cfg, "PTZ", "NodeToken"),
        audio_output_token=out.get("token") if out is not None else None,
        audio_decoder_token=dec.get("token") if dec is not None else None,
        has_metadata=child(cfg, "Metadata") is not None,
    )


def parse_profiles(body: Element | None) -> tuple[MediaProfile, ...]:
    """Parse GetProfilesResponse of Media ver10 or Media2."""
    out = []
    for p in children(expect(body, "GetProfilesResponse"), "Profiles"):
        token = p.get("token")
        if not token:
            raise RemoteProtocolError("media profile without token")
        name = text(p, "Name") or token
        fixed = to_bool(p.get("fixed"), False)
        cfg = child(p, "Configurations")
        if cfg is not None:
            out.append(_profile_v20(p, cfg, token, name, fixed))
        else:
            out.append(_profile_v10(p, token, name, fixed))
    return tuple(out)


def get_stream_uri(profile_token: str, media2: bool = False, protocol: str = "RTSP") -> Request:
    """GetStreamUri for RTP unicast over RTSP (``protocol`` RTSP, UDP or HTTP for ver10;
    RtspUnicast, RtspOverHttp or RTSP for Media2)."""
    if media2:
        return request(
            TR2,
            "GetStreamUri",
            make(f"{{{TR2}}}Protocol", text="RtspUnicast" if protocol == "RTSP" else protocol),
            make(f"{{{TR2}}}ProfileToken", text=_token(profile_token)),
        )
    setup = make(
        f"{{{TRT}}}StreamSetup",
        make(f"{{{TT}}}Stream", text="RTP-Unicast"),
        make(f"{{{TT}}}Transport", make(f"{{{TT}}}Protocol", text=protocol)),
    )
    return request(
        TRT, "GetStreamUri", setup, make(f"{{{TRT}}}ProfileToken", text=_token(profile_token))
    )


def _media_uri(r: Element) -> MediaUri:
    mu = child(r, "MediaUri")
    if mu is not None:
        return MediaUri(
            uri=need_text(mu, "Uri"),
            invalid_after_connect=to_bool(text(mu, "InvalidAfterConnect"), False),
            invalid_after_reboot=to_bool(text(mu, "InvalidAfterReboot"), False),
            timeout_s=to_seconds(text(mu, "Timeout")),
        )
    return MediaUri(uri=need_text(r, "Uri"))


def parse_stream_uri(body: Element | None) -> MediaUri:
    """Parse GetStreamUriResponse (ver10 MediaUri or Media2 Uri)."""
    return _media_uri(expect(body, "GetStreamUriResponse"))


def get_snapshot_uri(profile_token: str, media2: bool = False) -> Request:
    """GetSnapshotUri."""
    svc = _svc(media2)
    return request(
        svc, "GetSnapshotUri", make(f"{{{svc}}}ProfileToken", text=_token(profile_token))
    )


def parse_snapshot_uri(body: Element | None) -> MediaUri:
    """Parse GetSnapshotUriResponse."""
    return _media_uri(expect(body, "GetSnapshotUriResponse"))


def get_audio_outputs() -> Request:
    """GetAudioOutputs (ver10 only; Media2 lists configurations instead)."""
    return request(TRT, "GetAudioOutputs")


def parse_audio_outputs(body: Element | None) -> tuple[str, ...]:
    """Tokens of the physical audio outputs."""
    r = expect(body, "GetAudioOutputsResponse")
    return tuple(a.get("token", "") for a in children(r, "AudioOutputs"))


def get_audio_output_configurations(media2: bool = False) -> Request:
    """GetAudioOutputConfigurations."""
    return request(_svc(media2), "GetAudioOutputConfigurations")


def get_audio_decoder_configurations(media2: bool = False) -> Request:
    """GetAudioDecoderConfigurations."""
    return request(_svc(media2), "GetAudioDecoderConfigurations")


def parse_audio_configurations(body: Element | None) -> tuple[AudioConfiguration, ...]:
    """Parse GetAudioOutputConfigurationsResponse or GetAudioDecoderConfigurationsResponse."""
    if body is None:
        raise RemoteProtocolError("expected an audio configurations reply, got an empty Body")
    name = str(body.tag).rpartition("}")[2]
    if name not in (
        "GetAudioOutputConfigurationsResponse",
        "GetAudioDecoderConfigurationsResponse",
    ):
        raise RemoteProtocolError(f"expected an audio configurations reply, got {name}")
    out = []
    for c in children(body, "Configurations"):
        out.append(
            AudioConfiguration(
                token=c.get("token", ""),
                name=text(c, "Name") or "",
                use_count=to_int(text(c, "UseCount")),
                output_token=text(c, "OutputToken"),
            )
        )
    return tuple(out)


__all__ = [
    "AudioConfiguration",
    "MediaProfile",
    "MediaUri",
    "get_audio_decoder_configurations",
    "get_audio_output_configurations",
    "get_audio_outputs",
    "get_profiles",
    "get_snapshot_uri",
    "get_stream_uri",
    "parse_audio_configurations",
    "parse_audio_outputs",
    "parse_profiles",
    "parse_snapshot_uri",
    "parse_stream_uri",
]
