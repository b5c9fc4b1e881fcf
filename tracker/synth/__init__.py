"""Synthetic test data: invented leaks, labelled re-post corpora and document streams.

Deterministic by seed and never real people: names are random combinations from
multinational pools, numbers and dates are random. Used by the tests, the benchmark
(``tracker bench``) and the demo (``python -m tracker.demo``).

Two populations: ``CLASSIC`` (every pooled name equally likely; the default, so older seeds
give the same people) and ``REALISTIC`` (Zipf-weighted names, particle-like surnames such as
DU, LE, DE LA O; used by the new re-post forms, the scale suite and the monitor stream).
"""
from tracker.synth.corpus import KINDS, NEGATIVE_KINDS, POSITIVE_KINDS, CorpusStyle, generate_corpus
from tracker.synth.forms import FORM_KINDS, NEGATIVE_FORMS, POSITIVE_FORMS, generate_forms_corpus
from tracker.synth.leak import LEAK_HEADER, generate_leak, leak_people, write_leak_csv, write_leak_xlsx
from tracker.synth.people import CLASSIC, REALISTIC, Population
from tracker.synth.scale import generate_scale_corpus
from tracker.synth.stream import monitor_stream, paste_stream

__all__ = [
    "CLASSIC", "FORM_KINDS", "KINDS", "LEAK_HEADER", "NEGATIVE_FORMS", "NEGATIVE_KINDS", "POSITIVE_FORMS",
    "POSITIVE_KINDS", "REALISTIC", "CorpusStyle", "Population", "generate_corpus", "generate_forms_corpus",
    "generate_leak", "generate_scale_corpus", "leak_people", "monitor_stream", "paste_stream", "write_leak_csv",
    "write_leak_xlsx",
]
