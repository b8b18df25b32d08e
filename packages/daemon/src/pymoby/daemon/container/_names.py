"""Container names: Docker's rules, the random ``adjective_surname`` names, and the registrar.

A name is stored with a leading ``/`` (``/web``), as Docker keeps it. The
registrar maps names to container IDs; reserving a taken name is a
``Conflict`` in Docker's words, a malformed one an ``InvalidParameter``.
"""

from __future__ import annotations

import random
import re

from pymoby import errdefs

__all__ = [
    "NAME_CHARS",
    "InvalidContainerName",
    "NameConflict",
    "NameRegistrar",
    "random_name",
    "validate_name",
]

NAME_CHARS = "[a-zA-Z0-9][a-zA-Z0-9_.-]"
_NAME = re.compile(rf"^{NAME_CHARS}+$")

# Our own lists (not Docker's): plain adjectives, and people who shaped computing and physics.
_ADJECTIVES = (
    "agile", "amber", "bold", "brave", "bright", "calm", "candid", "clever", "cosmic", "crisp", "curious",
    "daring", "deft", "eager", "earnest", "fervent", "fluent", "frank", "gentle", "glad", "golden", "happy",
    "hardy", "honest", "humble", "jolly", "keen", "kind", "lively", "lucid", "merry", "mellow", "modest",
    "nimble", "noble", "patient", "placid", "plucky", "polite", "proud", "quick", "quiet", "rapid", "ready",
    "serene", "sharp", "shiny", "silent", "steady", "stoic", "sunny", "swift", "tender", "tidy", "upbeat",
    "vivid", "warm", "wise", "witty", "zealous",
)  # fmt: skip
_SURNAMES = (
    "babbage", "backus", "bardeen", "bell", "boole", "bohr", "cerf", "church", "codd", "conway", "curie",
    "dijkstra", "dirac", "engelbart", "euler", "faraday", "fermi", "feynman", "gauss", "godel", "hamming",
    "hilbert", "hopper", "huffman", "kahan", "kay", "knuth", "lamarr", "lamport", "liskov", "lovelace",
    "maxwell", "mccarthy", "meitner", "minsky", "noether", "nygaard", "pascal", "perlman", "planck", "ritchie",
    "shannon", "shockley", "sutherland", "tarjan", "thompson", "torvalds", "turing", "valiant", "vonneumann",
    "wilkes", "wirth", "yao", "zuse",
)  # fmt: skip


class InvalidContainerName(errdefs.InvalidParameter):
    """A name with characters Docker does not allow."""


class NameConflict(errdefs.Conflict):
    """The name is taken by another container."""


def validate_name(name: str) -> str:
    """``name`` with its leading ``/``; :class:`InvalidContainerName` in Docker's words when malformed."""
    if not _NAME.match(name.removeprefix("/")):
        raise InvalidContainerName(f"Invalid container name ({name}), only {NAME_CHARS} are allowed")
    return name if name.startswith("/") else "/" + name


def random_name(attempt: int = 0, rng: random.Random | None = None) -> str:
    """``adjective_surname``; from the second attempt on, a digit is appended, as Docker does."""
    choose = rng or random
    name = f"{choose.choice(_ADJECTIVES)}_{choose.choice(_SURNAMES)}"
    if attempt > 0:
        name += str(choose.randrange(10))
    return name


class NameRegistrar:
    """Names -> container IDs (one name per container, here; links would add more)."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def reserve(self, name: str, container_id: str) -> None:
        """Reserve ``name`` (with its ``/``) for the container; :class:`NameConflict` when taken by another."""
        holder = self._ids.get(name)
        if holder is not None and holder != container_id:
            raise NameConflict(
                f'Conflict. The container name "{name}" is already in use by container "{holder}". '
                "You have to remove (or rename) that container to be able to reuse that name."
            )
        self._ids[name] = container_id

    def reserve_random(self, container_id: str) -> str:
        """Reserve a free random name for the container and return it (the short ID as a last resort)."""
        for attempt in range(6):
            name = "/" + random_name(attempt)
            if name not in self._ids:
                self._ids[name] = container_id
                return name
        name = "/" + container_id[:12]
        self.reserve(name, container_id)
        return name

    def release(self, name: str) -> None:
        """Free ``name`` (nothing happens when it was not reserved)."""
        self._ids.pop(name, None)

    def get(self, name: str) -> str | None:
        """The ID of the container named ``name`` (with or without ``/``), if any."""
        return self._ids.get(name if name.startswith("/") else "/" + name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._ids
