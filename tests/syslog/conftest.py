"""A real rsyslogd on 127.0.0.1 (UDP and TCP inputs) writing what it receives as JSON."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.peers import OPENSSL, RSYSLOG_TLS, RSYSLOGD, require_peer

CONF = """\
global(workDirectory="{dir}")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="{udp}")
input(type="imtcp" address="127.0.0.1" port="{tcp}")
template(name="json" type="list" option.jsonf="on") {{
  property(outname="pri" name="pri" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
  property(outname="input" name="inputname" format="jsonf")
}}
action(type="omfile" file="{dir}/out.json" template="json" flushOnTXEnd="on"
       asyncWriting="off")
"""


TLS_CONF = """\
global(workDirectory="{dir}" DefaultNetstreamDriverCAFile="{dir}/ca.pem"
       DefaultNetstreamDriverCertFile="{dir}/cert.pem"
       DefaultNetstreamDriverKeyFile="{dir}/key.pem")
module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1"
       StreamDriver.AuthMode="anon")
input(type="imtcp" address="127.0.0.1" port="{tcp}")
"""


def make_certificates(workdir: Path) -> None:
    """A throw-away CA and a server certificate for 127.0.0.1 (openssl CLI)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    (workdir / "ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for cmd in (
        [
            "openssl",
            "req",
            "-x509",
            *ec,
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=callpoint-test-ca",
        ],
        ["openssl", "req", *ec, "-keyout", "key.pem", "-out", "srv.csr", "-subj", "/CN=127.0.0.1"],
        [
            "openssl",
            "x509",
            "-req",
            "-in",
            "srv.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-extfile",
            "ext",
        ],
    ):
        subprocess.run(cmd, cwd=workdir, check=True, capture_output=True, timeout=30)


def _free_port(kind: socket.SocketKind) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Rsyslog:
    """One rsyslogd we start and stop by its PID."""

    def __init__(self, workdir: Path, *, tls: bool = False) -> None:
        self.dir = workdir
        self.udp_port = _free_port(socket.SOCK_DGRAM)
        self.tcp_port = _free_port(socket.SOCK_STREAM)
        self.conf = workdir / "rsyslog.conf"
        conf = CONF.format(dir=workdir, udp=self.udp_port, tcp=self.tcp_port)
        if tls:
            make_certificates(workdir)
            # Only the TLS input: imtcp's stream driver is set for the whole module.
            head, _, tail = conf.partition("template(")
            head = TLS_CONF.format(dir=workdir, tcp=self.tcp_port)
            conf = head + "template(" + tail
        self.conf.write_text(conf)
        self.out = workdir / "out.json"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.dir / "rsyslogd.log").open("ab")
        self.proc = subprocess.Popen(
            ["rsyslogd", "-n", "-f", str(self.conf), "-i", str(self.dir / "rsyslogd.pid")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.dir / "rsyslogd.log").read_text()
            try:
                # A bare connect only proves the port listens (TLS or not).
                socket.create_connection(("127.0.0.1", self.tcp_port), timeout=0.2).close()
            except OSError:
                time.sleep(0.02)
                continue
            return
        raise AssertionError("rsyslogd did not start listening")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def records(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        lines = self.out.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    require_peer(RSYSLOGD)
    server = Rsyslog(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def rsyslog_tls(tmp_path: Path) -> Iterator[Rsyslog]:
    for peer in (RSYSLOGD, OPENSSL, RSYSLOG_TLS):
        require_peer(peer)
    server = Rsyslog(tmp_path, tls=True)
    server.start()
    yield server
    server.stop()
