"""A small fake ONVIF device on 127.0.0.1 for transport and client tests.

It is deliberately strict where real devices are: it checks the UsernameToken against
*its own* clock (which can be set off ours), can demand HTTP Digest, and records what it
received. Replies are short templates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiohttp import web

from callpoint.codecs.soap import Envelope, build_fault, parse_envelope
from callpoint.onvif.errors import (
    ActionNotSupportedFault,
    InvalidArgsFault,
    NotAuthorizedFault,
    RemoteProtocolError,
    SoapFault,
)
from callpoint.onvif.httpdigest import DigestAuthError, make_challenge, make_nonce, verify_digest
from callpoint.onvif.namespaces import WSA
from callpoint.onvif.security import NonceCache, verify_username_token

NS = (
    'xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" '
    'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" '
    'xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" '
    'xmlns:tev="http://www.onvif.org/ver10/events/wsdl" '
    'xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" '
    'xmlns:wsa="http://www.w3.org/2005/08/addressing" '
    'xmlns:tt="http://www.onvif.org/ver10/schema" '
    'xmlns:tns1="http://www.onvif.org/ver10/topics"'
)


def wrap(body: str) -> bytes:
    return f'<?xml version="1.0"?><s:Envelope {NS}><s:Body>{body}</s:Body></s:Envelope>'.encode()


def tt_datetime(dt: datetime) -> str:
    return (
        f"<tt:Time><tt:Hour>{dt.hour}</tt:Hour><tt:Minute>{dt.minute}</tt:Minute>"
        f"<tt:Second>{dt.second}</tt:Second></tt:Time><tt:Date><tt:Year>{dt.year}</tt:Year>"
        f"<tt:Month>{dt.month}</tt:Month><tt:Day>{dt.day}</tt:Day></tt:Date>"
    )


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeDevice:
    """Knobs for quirks, and a log of what arrived."""

    user: str = "admin"
    password: str = "pw"
    clock_offset_s: float = 0.0
    tolerance_s: float = 5.0
    digest: bool = False
    auth_for_date: bool = False
    get_services: bool = True
    services_caps_fault: bool = False
    base: str = ""
    secret: bytes = b"fake-device-secret"
    received: list[tuple[str, Envelope]] = field(default_factory=list)
    extra: dict[str, Callable[[Envelope], bytes]] = field(default_factory=dict)
    nonces: NonceCache = field(default_factory=lambda: NonceCache(600))
    consumers: list[str] = field(default_factory=list)
    big_reply: bool = False
    html_reply: bool = False

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset_s)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/onvif/{service}", self.handle)
        app.router.add_post("/sub/{id}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        data = await request.read()
        try:
            env = parse_envelope(data)
        except RemoteProtocolError:
            return web.Response(status=400)
        assert env.body is not None
        op = str(env.body.tag).rpartition("}")[2]
        self.received.append((request.path, env))
        if self.digest and not (op == "GetSystemDateAndTime" and not self.auth_for_date):
            auth = request.headers.get("Authorization")
            challenge = make_challenge("fake", make_nonce(self.secret, self.now().timestamp()))
            if auth is None:
                return web.Response(status=401, headers={"WWW-Authenticate": challenge})
            try:
                verify_digest(
                    auth,
                    "POST",
                    self._pw,
                    realm="fake",
                    secret=self.secret,
                    now=self.now().timestamp(),
                    uri=request.path_qs,
                )
            except DigestAuthError:
                return web.Response(status=401, headers={"WWW-Authenticate": challenge})
        try:
            if not self.digest and (op != "GetSystemDateAndTime" or self.auth_for_date):
                verify_username_token(
                    env.headers, self._pw, self.now(), self.tolerance_s, self.nonces
                )
            reply = self.reply(op, env)
        except SoapFault as fault:
            status = (
                401
                if isinstance(fault, NotAuthorizedFault) and self.auth_for_date
                else (fault.http_status)
            )
            return web.Response(
                status=status, body=build_fault(fault), content_type="application/soap+xml"
            )
        if self.html_reply:
            return web.Response(body=b"<html><body>login</body></html>", content_type="text/html")
        return web.Response(body=reply, content_type="application/soap+xml")

    def _pw(self, user: str) -> str | None:
        return self.password if user == self.user else None

    def reply(self, op: str, env: Envelope) -> bytes:
        if op in self.extra:
            return self.extra[op](env)
        now = self.now()
        if op == "GetSystemDateAndTime":
            return wrap(
                "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
                "<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false"
                f"</tt:DaylightSavings><tt:UTCDateTime>{tt_datetime(now)}</tt:UTCDateTime>"
                "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
            )
        if op == "GetDeviceInformation":
            pad = "x" * (5 * 1024 * 1024) if self.big_reply else "Fake"
            return wrap(
                f"<tds:GetDeviceInformationResponse><tds:Manufacturer>{pad}</tds:Manufacturer>"
                "<tds:Model>FD-1</tds:Model><tds:FirmwareVersion>1.0</tds:FirmwareVersion>"
                "<tds:SerialNumber>42</tds:SerialNumber><tds:HardwareId>hw</tds:HardwareId>"
                "</tds:GetDeviceInformationResponse>"
            )
        if op == "GetServices":
            if not self.get_services:
                raise ActionNotSupportedFault()
            flag = env.body.findtext("{*}IncludeCapability") if env.body is not None else None
            if self.services_caps_fault and flag == "true":
                raise InvalidArgsFault("IncludeCapability not supported")
            svc = "".join(
                f"<tds:Service><tds:Namespace>{ns}</tds:Namespace>"
                f"<tds:XAddr>http://10.9.8.7:80/onvif/{name}</tds:XAddr>"
                "<tds:Version><tt:Major>2</tt:Major><tt:Minor>0</tt:Minor></tds:Version>"
                "</tds:Service>"
                for ns, name in (
                    ("http://www.onvif.org/ver10/device/wsdl", "device_service"),
                    ("http://www.onvif.org/ver10/media/wsdl", "media"),
                    ("http://www.onvif.org/ver20/ptz/wsdl", "ptz"),
                    ("http://www.onvif.org/ver10/events/wsdl", "events"),
                )
            )
            return wrap(f"<tds:GetServicesResponse>{svc}</tds:GetServicesResponse>")
        if op == "GetCapabilities":
            return wrap(
                "<tds:GetCapabilitiesResponse><tds:Capabilities>"
                f"<tt:Device><tt:XAddr>{self.base}/onvif/device_service</tt:XAddr></tt:Device>"
                "<tt:Events><tt:XAddr>" + self.base + "/onvif/events</tt:XAddr>"
                "<tt:WSPullPointSupport>true</tt:WSPullPointSupport></tt:Events>"
                f"<tt:Media><tt:XAddr>{self.base}/onvif/media</tt:XAddr></tt:Media>"
                "</tds:Capabilities></tds:GetCapabilitiesResponse>"
            )
        if op == "GetProfiles":
            return wrap(
                '<trt:GetProfilesResponse><trt:Profiles token="p1"><tt:Name>main</tt:Name>'
                "</trt:Profiles></trt:GetProfilesResponse>"
            )
        if op == "GetStreamUri":
            return wrap(
                "<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://10.9.8.7/main</tt:Uri>"
                "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>"
                "false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>"
                "</trt:GetStreamUriResponse>"
            )
        if op == "GotoPreset":
            return wrap("<tptz:GotoPresetResponse/>")
        if op == "CreatePullPointSubscription":
            return wrap(
                "<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>"
                "<wsa:Address>http://10.9.8.7/sub/7</wsa:Address><wsa:ReferenceParameters>"
                '<x:SubId xmlns:x="urn:fake">7</x:SubId></wsa:ReferenceParameters>'
                f"</tev:SubscriptionReference><wsnt:CurrentTime>{iso(now)}</wsnt:CurrentTime>"
                f"<wsnt:TerminationTime>{iso(now + timedelta(seconds=60))}</wsnt:TerminationTime>"
                "</tev:CreatePullPointSubscriptionResponse>"
            )
        if op == "PullMessages":
            return wrap(
                f"<tev:PullMessagesResponse><tev:CurrentTime>{iso(now)}</tev:CurrentTime>"
                f"<tev:TerminationTime>{iso(now + timedelta(seconds=60))}</tev:TerminationTime>"
                '<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/'
                'topicExpression/ConcreteSet">tns1:Device/Trigger/DigitalInput</wsnt:Topic>'
                f'<wsnt:Message><tt:Message UtcTime="{iso(now)}" PropertyOperation="Changed">'
                '<tt:Source><tt:SimpleItem Name="InputToken" Value="1"/></tt:Source><tt:Data>'
                '<tt:SimpleItem Name="LogicalState" Value="true"/></tt:Data></tt:Message>'
                "</wsnt:Message></wsnt:NotificationMessage></tev:PullMessagesResponse>"
            )
        if op == "Renew":
            return wrap(
                f"<wsnt:RenewResponse><wsnt:TerminationTime>{iso(now + timedelta(seconds=120))}"
                f"</wsnt:TerminationTime><wsnt:CurrentTime>{iso(now)}</wsnt:CurrentTime>"
                "</wsnt:RenewResponse>"
            )
        if op == "Subscribe":
            consumer = (
                env.body.findtext("{*}ConsumerReference/{*}Address")
                if env.body is not None
                else None
            )
            self.consumers.append(consumer or "")
            return wrap(
                "<wsnt:SubscribeResponse><wsnt:SubscriptionReference>"
                "<wsa:Address>http://10.9.8.7/sub/9</wsa:Address></wsnt:SubscriptionReference>"
                f"<wsnt:CurrentTime>{iso(now)}</wsnt:CurrentTime>"
                f"<wsnt:TerminationTime>{iso(now + timedelta(seconds=60))}</wsnt:TerminationTime>"
                "</wsnt:SubscribeResponse>"
            )
        if op == "Unsubscribe":
            return wrap("<wsnt:UnsubscribeResponse/>")
        raise ActionNotSupportedFault()


def wsa_header(env: Envelope, name: str) -> str | None:
    h = env.header(WSA, name)
    return None if h is None else (h.text or "").strip()
