"""udp — Unified Data Platform: raw retail dumps to a Single Customer View and Amazon Personalize datasets."""

__version__ = "0.1.0"
