"""repost-tracker: find re-posted leaked records and drive their removal."""

__version__ = "0.1.0"
