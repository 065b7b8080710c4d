"""site.yaml: models, loading with file:line errors, and the indexed `Site`."""

from callpoint.config.loader import ConfigError, ConfigIssue, load_site, parse_site
from callpoint.config.site import Site

__all__ = ["ConfigError", "ConfigIssue", "Site", "load_site", "parse_site"]
