"""Docker's restart policies: the model, parsing and validation."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pymoby import errdefs

__all__ = ["InvalidRestartPolicy", "PolicyName", "RestartPolicy"]


class InvalidRestartPolicy(errdefs.InvalidParameter):
    """The restart policy is malformed, unknown, or has a retry count it may not have."""


class PolicyName(enum.StrEnum):
    """The restart policy names Docker accepts (``""`` is an old spelling of ``no``)."""

    NO = "no"
    ALWAYS = "always"
    ON_FAILURE = "on-failure"
    UNLESS_STOPPED = "unless-stopped"


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """A container's ``HostConfig.RestartPolicy``: a name and, for on-failure, a retry limit.

    ``maximum_retry_count`` 0 means no limit. Build from the API with
    :meth:`from_api` or from the CLI's ``--restart`` value with :meth:`parse`;
    both validate.
    """

    name: PolicyName = PolicyName.NO
    maximum_retry_count: int = 0

    @classmethod
    def from_api(cls, name: str, maximum_retry_count: int = 0) -> RestartPolicy:
        """Validate ``HostConfig.RestartPolicy`` (``Name``, ``MaximumRetryCount``) as dockerd does.

        Raises :class:`InvalidRestartPolicy` (an ``InvalidParameter``) with Docker's message.
        """
        if name == "":
            # Before Docker 25 an empty name was the default; any count is tolerated.
            return cls(PolicyName.NO, 0)
        try:
            policy_name = PolicyName(name)
        except ValueError:
            raise InvalidRestartPolicy(
                f"invalid restart policy: unknown policy '{name}'; use one of "
                "'no', 'always', 'on-failure', or 'unless-stopped'"
            ) from None
        if policy_name is PolicyName.ON_FAILURE:
            if maximum_retry_count < 0:
                raise InvalidRestartPolicy("invalid restart policy: maximum retry count cannot be negative")
        elif maximum_retry_count != 0:
            message = "invalid restart policy: maximum retry count can only be used with 'on-failure'"
            if maximum_retry_count < 0:
                message += " and cannot be negative"
            raise InvalidRestartPolicy(message)
        return cls(policy_name, maximum_retry_count)

    @classmethod
    def parse(cls, value: str) -> RestartPolicy:
        """Parse the ``--restart`` syntax: ``no``, ``always``, ``unless-stopped``, ``on-failure[:N]``.

        Raises :class:`InvalidRestartPolicy` with Docker's message.
        """
        if value == "":
            return cls()
        name, colon, count = value.partition(":")
        if colon and not name:
            raise InvalidRestartPolicy("invalid restart policy format: no policy provided before colon")
        retries = 0
        if count:
            try:
                retries = int(count, 10)
            except ValueError:
                raise InvalidRestartPolicy(
                    "invalid restart policy format: maximum retry count must be an integer"
                ) from None
        return cls.from_api(name, retries)

    def __str__(self) -> str:
        if self.name is PolicyName.ON_FAILURE and self.maximum_retry_count:
            return f"{self.name.value}:{self.maximum_retry_count}"
        return self.name.value

    @property
    def is_none(self) -> bool:
        """Whether the policy never restarts (``no``)."""
        return self.name is PolicyName.NO
