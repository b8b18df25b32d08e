"""Reference parsing speed: normalised parse of 100,000 mixed references.

There is no external tool to compare with, so the baseline is the floor cost
of matching alone: ``re.fullmatch`` of Docker's whole ReferenceRegexp over the
same inputs. The ratio says how much normalisation, validation and building
the value cost on top of the match (closer to 1 is better).
"""

from __future__ import annotations

import random
import re
import time

from harness import Comparison, alternate

from pymoby import reference

DOMAINS = ["", "", "", "docker.io/", "index.docker.io/", "localhost:5000/", "ghcr.io/", "registry.example.com:443/"]
WORDS = ["busybox", "alpine", "nginx", "redis", "app", "web", "api", "team", "base", "tools", "debian", "go"]


def references(count: int, seed: int = 45) -> list[str]:
    """``count`` mostly distinct references of the shapes users type."""
    rng = random.Random(seed)
    refs = []
    for i in range(count):
        path = "/".join(f"{rng.choice(WORDS)}{rng.randrange(1000)}" for _ in range(rng.choice([1, 1, 2, 3])))
        text = rng.choice(DOMAINS) + path
        shape = i % 4
        if shape in (1, 3):
            text += f":v{rng.randrange(100)}.{rng.randrange(100)}"
        if shape in (2, 3):
            text += "@sha256:" + rng.randbytes(32).hex()
        refs.append(text)
    return refs


def run(quick: bool) -> list[Comparison]:
    """Parse the references with ``parse_normalized_named``, and match them with the bare regex."""
    # distinct inputs: the bounded cache of parse_normalized_named (4096 entries) never hits here
    inputs = references(20_000 if quick else 100_000)
    pattern = re.compile(reference.REFERENCE_PATTERN)

    def ours() -> float:
        parse = reference.parse_normalized_named
        start = time.perf_counter()
        for text in inputs:
            parse(text)
        return len(inputs) / (time.perf_counter() - start)

    def theirs() -> float:
        fullmatch = pattern.fullmatch
        start = time.perf_counter()
        for text in inputs:
            fullmatch(text)
        return len(inputs) / (time.perf_counter() - start)

    comparison = Comparison(
        name=f"normalised parse of {len(inputs):,} references",
        unit="refs/s",
        baseline="re.fullmatch(ReferenceRegexp)",
        higher_is_better=True,
        note="baseline is the regex match alone, the floor of any parser of this grammar",
    )
    return [alternate(comparison, ours, theirs, runs=3 if quick else 7)]
