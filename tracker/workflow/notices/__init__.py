"""Takedown notices: a publishable context, sandboxed Jinja2 templates, text/eml/pdf output."""
