"""endpoint-audit: audit telework endpoints against YAML baselines."""

__version__ = "0.1.0"
