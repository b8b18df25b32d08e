"""The container tests use the shared daemon fixtures of ``integration/conftest.py``.

``daemon`` (one pymobyd with busybox per module: each test removes the
containers it made) and ``start_daemon`` (daemons per test, for restarts
and crashes); every daemon has its own base directory, bridge and address
pool, and one that exits with an error or leaves anything on the host
fails the test that used it.
"""
