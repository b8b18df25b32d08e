"""Launchers and builders shared by the integration tests and the benchmarks.

Plain functions and classes, no pytest: fixtures in the conftest files wrap
them, and tools/bench/ uses them directly (with ``integration/`` on
``sys.path``).
"""
