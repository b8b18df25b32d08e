"""The filters query argument: both JSON forms, validation, matching."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pymoby import api


@pytest.mark.parametrize(
    "text",
    ['{"type": {"daemon": true, "container": true}}', '{"type": ["daemon", "container"]}'],
)
def test_both_wire_forms_parse_to_the_same_filters(text: str) -> None:
    assert api.Filters.from_query(text).get("type") == {"daemon", "container"}


def test_false_values_are_not_asked_for() -> None:
    assert api.Filters.from_query('{"type": {"daemon": false}}').get("type") == frozenset()


def test_empty_or_missing_argument_is_no_filter() -> None:
    assert len(api.Filters.from_query(None)) == 0
    assert len(api.Filters.from_query("")) == 0


@pytest.mark.parametrize("text", ["{bad", "[1]", '{"type": 3}', '{"type": [1]}'])
def test_malformed_filters_are_invalid(text: str) -> None:
    with pytest.raises(api.InvalidFilter):
        api.Filters.from_query(text)


def test_validate_names_the_unknown_filter() -> None:
    with pytest.raises(api.InvalidFilter, match="invalid filter 'colour'"):
        api.Filters({"colour": ["red"], "type": ["x"]}).validate({"type"})


def test_matches_is_or_within_a_name() -> None:
    filters = api.Filters({"type": ["container", "daemon"]})
    assert filters.matches("type", "daemon")
    assert not filters.matches("type", "image")
    assert filters.matches("event", "anything")


def test_label_filters_need_every_key_and_value() -> None:
    filters = api.Filters({"label": ["a", "b=2"]})
    assert filters.matches_labels("label", {"a": "x", "b": "2"})
    assert not filters.matches_labels("label", {"a": "x", "b": "3"})
    assert not filters.matches_labels("label", {"b": "2"})


@given(st.dictionaries(st.text(min_size=1, max_size=8), st.frozensets(st.text(max_size=8), min_size=1), max_size=4))
def test_to_query_round_trips(values: dict[str, frozenset[str]]) -> None:
    filters = api.Filters(values)
    assert dict(api.Filters.from_query(filters.to_query())) == dict(filters)
