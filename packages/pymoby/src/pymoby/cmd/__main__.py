"""``python -m pymoby.cmd``: the same as the ``pymobyd`` command."""

from pymoby.cmd import pymobyd

if __name__ == "__main__":
    pymobyd()
