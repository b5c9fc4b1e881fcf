"""``python -m tracker``: the same command line as the ``tracker`` console script."""
from tracker.cli import app

app(prog_name="tracker")
