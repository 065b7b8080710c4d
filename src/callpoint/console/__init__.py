"""HTTP API, live stream and operator console."""
