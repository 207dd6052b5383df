"""govreport: government information disclosure annual reports as structured, validated data."""

__version__ = "0.1.0"
