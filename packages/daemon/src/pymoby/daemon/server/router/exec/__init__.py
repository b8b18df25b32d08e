"""The exec router: ``POST /containers/{id}/exec`` and ``/exec/{id}/...``."""

from ._router import ExecRouter

__all__ = ["ExecRouter"]
