"""Synthetic test data: invented leaks, labelled re-post corpora and paste streams.

Deterministic by seed and never real people: names are random combinations from
multinational pools, numbers and dates are random. Used by the tests, the benchmark
(``tracker bench``) and the demo (``python -m tracker.demo``).
"""
from tracker.synth.corpus import KINDS, NEGATIVE_KINDS, POSITIVE_KINDS, CorpusStyle, generate_corpus
from tracker.synth.leak import LEAK_HEADER, generate_leak, leak_people, write_leak_csv, write_leak_xlsx
from tracker.synth.stream import paste_stream

__all__ = [
    "KINDS", "LEAK_HEADER", "NEGATIVE_KINDS", "POSITIVE_KINDS", "CorpusStyle", "generate_corpus", "generate_leak",
    "leak_people", "paste_stream", "write_leak_csv", "write_leak_xlsx",
]
