"""Pure codecs: bytes in, messages or events out, and back; no asyncio, sockets or aiohttp.

One module (or subpackage) per protocol. The I/O layers (ONVIF transport, the device
HTTP front, the RTSP client, the syslog senders, WS-Discovery sockets) are thin adapters
around these. ``tests/test_codecs_pure.py`` imports every module under this package in a
fresh interpreter and fails if asyncio, socket or aiohttp gets loaded: a codec added here
is checked without being listed anywhere.

- :mod:`.soap`: SOAP 1.2 envelopes and faults (ONVIF);
- :mod:`.http11`: the ONVIF client's incremental HTTP/1.1 response parser;
- :mod:`.http_head`: request heads for the lean device HTTP front;
- :mod:`.wsdiscovery`: WS-Discovery messages, encoding and decoding;
- :mod:`.rtsp`, :mod:`.sdp`: RTSP 1.0 messages and the SDP the streams describe;
- :mod:`.syslog`, :mod:`.syslog_parser`: RFC 5424 messages, both ways.
"""
