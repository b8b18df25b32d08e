"""pymoby.cli: the ``pymoby`` command line, Docker's commands over pymoby-client.

``main`` is the root click group (``pymoby run``, ``pymoby ps``,
``pymoby image ls`` ...); run standalone it prints errors as the docker CLI
does and exits with its codes. ``run_cli(args)`` runs it and returns the
exit status. ``Template`` is the Go-template evaluator behind ``--format``.
"""

from typing import TYPE_CHECKING, Any

from ._app import main, run_cli
from ._session import DEFAULT_HOST

if TYPE_CHECKING:
    from ._gotemplate import Template, TemplateError

__all__ = ["DEFAULT_HOST", "Template", "TemplateError", "main", "run_cli"]


def __getattr__(name: str) -> Any:
    # The template engine is imported when first asked for: the command line starts faster without it.
    if name in ("Template", "TemplateError"):
        from . import _gotemplate

        return getattr(_gotemplate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
