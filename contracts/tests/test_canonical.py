"""The fast canonical JSON path writes exactly the RFC 8785 bytes."""

from __future__ import annotations

from typing import Any

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from chengyu_contracts.canonical import canonical_json

LIMIT = 2**53 - 1
# Keys of any code point below the surrogates (the fast path's condition); values of any
# text at all, control characters and characters beyond the BMP included.
keys = st.text(alphabet=st.characters(max_codepoint=0xD7FF), max_size=8)
texts = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20)
scalars = st.none() | st.booleans() | st.integers(-LIMIT, LIMIT) | texts
plain_json = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


@given(plain_json)
def test_plain_json_is_written_exactly_as_rfc8785_writes_it(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@given(st.dictionaries(st.text(max_size=4), st.floats(allow_nan=False, allow_infinity=False)))
def test_json_outside_the_fast_path_falls_back_to_the_reference(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


def test_keys_beyond_the_bmp_sort_by_utf16_code_units() -> None:
    # U+1F600 is a surrogate pair in UTF-16 and sorts before U+FF01 there, after it in
    # code points: the fast path must not be taken.
    value = {"\U0001f600": 1, "\uff01": 2}
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_json(value).index("\U0001f600".encode()) < canonical_json(value).index(
        "\uff01".encode()
    )


def test_control_characters_are_escaped_as_rfc8785_says() -> None:
    value = {"s": 'tab\there\u0001\u007f\u2028 "q" \\'}
    assert canonical_json(value) == rfc8785.dumps(value)
