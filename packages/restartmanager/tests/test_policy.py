"""RestartPolicy parsing and validation, with Docker's messages."""

from __future__ import annotations

import pytest

from pymoby import errdefs
from pymoby.restartmanager import InvalidRestartPolicy, PolicyName, RestartPolicy


@pytest.mark.parametrize(
    ("value", "name", "count"),
    [
        ("", PolicyName.NO, 0),
        ("no", PolicyName.NO, 0),
        ("always", PolicyName.ALWAYS, 0),
        ("unless-stopped", PolicyName.UNLESS_STOPPED, 0),
        ("on-failure", PolicyName.ON_FAILURE, 0),
        ("on-failure:3", PolicyName.ON_FAILURE, 3),
        ("on-failure:0", PolicyName.ON_FAILURE, 0),
    ],
)
def test_parse_accepts_dockers_restart_flag(value: str, name: PolicyName, count: int) -> None:
    policy = RestartPolicy.parse(value)
    assert (policy.name, policy.maximum_retry_count) == (name, count)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "sometimes",
            "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', "
            "'on-failure', or 'unless-stopped'",
        ),
        ("always:2", "invalid restart policy: maximum retry count can only be used with 'on-failure'"),
        (
            "no:-1",
            "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative",
        ),
        ("on-failure:-2", "invalid restart policy: maximum retry count cannot be negative"),
        ("on-failure:x", "invalid restart policy format: maximum retry count must be an integer"),
        (":3", "invalid restart policy format: no policy provided before colon"),
    ],
)
def test_parse_refuses_bad_policies_with_dockers_message(value: str, message: str) -> None:
    with pytest.raises(InvalidRestartPolicy) as caught:
        RestartPolicy.parse(value)
    assert str(caught.value) == message
    assert errdefs.is_invalid_parameter(caught.value)


def test_empty_api_name_is_no_policy_whatever_the_count() -> None:
    assert RestartPolicy.from_api("", 123) == RestartPolicy(PolicyName.NO, 0)


@pytest.mark.parametrize("value", ["no", "always", "unless-stopped", "on-failure", "on-failure:5"])
def test_str_round_trips(value: str) -> None:
    assert str(RestartPolicy.parse(value)) == value
