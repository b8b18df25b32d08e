"""``python -m pymoby.registry``: the ``pymoby-registry`` command line."""

from ._cli import main

main()
