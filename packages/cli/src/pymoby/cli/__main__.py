"""``python -m pymoby.cli``: the pymoby command line."""

from ._app import entry_point

if __name__ == "__main__":
    entry_point()
