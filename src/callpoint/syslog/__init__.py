"""Syslog output: RFC 5424 messages (codec, records) and UDP/TCP senders."""
