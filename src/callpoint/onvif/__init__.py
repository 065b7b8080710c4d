"""callpoint's ONVIF library: SOAP 1.2 core, security, services, client.

Importable on its own: nothing here depends on the rest of callpoint. Messages are built
from small templates and parsed with a hardened lxml parser; no WSDL is loaded at run time.
"""
