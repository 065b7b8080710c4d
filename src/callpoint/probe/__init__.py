"""``callpoint probe``: a readiness report for one ONVIF device (seed 000, "what to verify").

Public API: `probe_device(url, user, password, options=..., progress=...)` returns a
`ProbeReport`; `render(report)` turns it into text, `report.as_json()` into JSON values.
"""

from callpoint.probe.report import ProbeReport, render
from callpoint.probe.runner import ProbeOptions, probe_device

__all__ = ["ProbeOptions", "ProbeReport", "probe_device", "render"]
