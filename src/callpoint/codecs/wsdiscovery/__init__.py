"""WS-Discovery's pure core: the message classes, `encode` and `decode`.

The sockets (probing, the Hello/Bye listener, the responder) are in
:mod:`callpoint.onvif.discovery`, which re-exports these names.
"""
