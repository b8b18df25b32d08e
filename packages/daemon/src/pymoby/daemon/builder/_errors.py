"""The builder's errors, each one errdefs kind, with the messages dockerd's classic builder gives.

::

    DockerfileSyntaxError (InvalidParameter)   the file cannot be read as a Dockerfile at all
                                               ("failed to parse Dockerfile: ENV must have two arguments")
    InstructionError (InvalidParameter)        one instruction is malformed
                                               ("dockerfile parse error line 2: unknown instruction: FOO")
    ExpansionError (InvalidParameter)          a variable reference cannot be expanded
                                               ("failed to process \\"${X:?}\\": X: is not allowed to be unset")
    InvalidContext (InvalidParameter)          the context or its Dockerfile is unusable
    BuildStepError (InvalidParameter)          an instruction cannot be carried out (bad --from, bad port)
    SourceNotFound (NotFound)                  a COPY/ADD source is missing
    CommandFailed (System)                     a RUN exited non-zero; carries the exit code
"""

from __future__ import annotations

from pymoby import errdefs

__all__ = [
    "BuildStepError",
    "CommandFailed",
    "DockerfileSyntaxError",
    "ExpansionError",
    "InstructionError",
    "InvalidContext",
    "SourceNotFound",
]


class DockerfileSyntaxError(errdefs.InvalidParameter):
    """The Dockerfile cannot be split into instructions; ``line`` is where (1-based, 0 when unknown)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


class InstructionError(errdefs.InvalidParameter):
    """One instruction is malformed: ``dockerfile parse error line N: ...`` (``line`` is N)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


class ExpansionError(errdefs.InvalidParameter):
    """A ``$VAR`` reference could not be expanded (bad syntax, or ``${VAR:?}`` of an unset variable)."""


class InvalidContext(errdefs.InvalidParameter):
    """The build context is unusable: no Dockerfile in it, an empty one, an unreadable archive."""


class BuildStepError(errdefs.InvalidParameter):
    """An instruction cannot be carried out as written (a bad ``--from``, port, signal, user)."""


class SourceNotFound(errdefs.NotFound):
    """A ``COPY``/``ADD`` source is not in the build context (or was excluded by ``.dockerignore``)."""


class CommandFailed(errdefs.System):
    """A ``RUN`` command exited with a non-zero ``code``."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code
