"""Builds the one compiled module (``fingerprints._gate``); everything else is in pyproject.toml."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("fingerprints._gate", ["fingerprints/_gate.c"],
                             extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wno-unused-function"])])
