"""Builds the one compiled module (``fingerprints._gate``); everything else is in pyproject.toml.

The module is optional: without a C compiler the install still succeeds and every document is
extracted and matched in Python (correct, several times slower; ``fingerprints.gate.available()``).
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("fingerprints._gate", ["fingerprints/_gate.c"], optional=True,
                             extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wno-unused-function"])])
