"""Monitoring: sources run on a schedule, their saved state and health (``tracker run``).

``models`` holds the tables, ``state`` their queries, ``context`` the DB-backed
``SourceContext`` handed to source plugins, ``runner`` one run of one source, ``service`` the
long-lived parts of a monitoring process, ``scheduler`` the APScheduler loop and ``health``
the per-source verdict shown by ``tracker sources status``.
"""
