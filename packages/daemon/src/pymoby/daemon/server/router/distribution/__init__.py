"""The distribution router (``GET /distribution/{name}/json``) and the Protocol of its backend."""

from ._router import DistributionBackend, DistributionRouter

__all__ = ["DistributionBackend", "DistributionRouter"]
