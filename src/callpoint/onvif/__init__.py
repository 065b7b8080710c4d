"""callpoint's ONVIF library: SOAP 1.2 core, security, services, client.

Importable on its own: nothing here depends on the rest of callpoint. Messages are built
from small templates and parsed with a hardened lxml parser; no WSDL is loaded at run time.

Layers, bottom up (each usable alone):

- :mod:`.xmlsafe`, :mod:`callpoint.codecs.soap`, :mod:`.errors`, :mod:`.namespaces`:
  bytes <-> envelopes, faults <-> typed exceptions;
- :mod:`.security`, :mod:`.httpdigest`: WS-UsernameToken and HTTP Digest, both sides;
- :mod:`.device`, :mod:`.media`, :mod:`.ptz`, :mod:`.deviceio`, :mod:`.events`,
  :mod:`.doorcontrol`, :mod:`.notification`, :mod:`.scopes`: pure request builders and
  reply parsers per service; :mod:`.eventmap`: notifications to event types by rules;
- :mod:`callpoint.codecs.http11`, :mod:`.httpclient`, :mod:`.transport`: HTTP/1.1 and the
  per-device session (clock offset, Digest state); :mod:`.client`: the :class:`OnvifDevice` facade;
  :mod:`.consumer`: the Notify endpoint (aiohttp).

Import the modules themselves (``from callpoint.onvif.client import OnvifDevice``): this
package imports nothing, so the pure layers load without asyncio or aiohttp.
"""
