"""Media checks: open RTSP streams, decode them, speak RTSP to find the audio backchannel."""
