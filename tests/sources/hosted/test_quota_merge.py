"""Issue 13: the quota the client holds, from headers that repeat and answers out of order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

import flowframe as ff
from flowframe.sources.hosted._base import merge_quota, parse_quota

RESET = dt.datetime(2026, 9, 19, tzinfo=dt.UTC)
NEXT = RESET + dt.timedelta(days=1)


def quota(remaining: int | None, reset: dt.datetime | None = RESET, limit: int = 250) -> ff.Quota:
    return ff.Quota(limit=limit, remaining=remaining, reset=reset)


def headers(*pairs: tuple[str, str]) -> httpx.Headers:
    return httpx.Headers(list(pairs))


def test_a_repeated_header_reads_as_its_lowest_value() -> None:
    joined = headers(
        ("x-ratelimit-limit", "250"),
        ("x-ratelimit-limit", "250"),
        ("x-ratelimit-remaining", "9950"),
        ("x-ratelimit-remaining", "9949"),
        ("x-ratelimit-reset", "1790208000"),
        ("x-ratelimit-reset", "1790294400"),
    )
    assert joined["x-ratelimit-remaining"] == "9950, 9949"  # what httpx hands over
    got = parse_quota(joined)
    assert got == ff.Quota(
        limit=250,
        remaining=9949,
        reset=dt.datetime(2026, 9, 25, tzinfo=dt.UTC),  # the later reset
    )
    assert parse_quota({"x-ratelimit-remaining": "12, junk, 7"}) == ff.Quota(None, 7, None)
    assert parse_quota({"x-ratelimit-remaining": "-3"}) == ff.Quota(None, 0, None)
    assert parse_quota({"x-ratelimit-remaining": "junk"}) == ff.Quota(None, None, None)
    unlimited = parse_quota({"x-ratelimit-limit": "unlimited, unlimited"})
    assert unlimited is not None and unlimited.unlimited and unlimited.limit is None


@pytest.mark.parametrize(
    ("held", "new", "expected"),
    [
        (quota(200), quota(230), quota(200)),  # the same window: the lowest
        (quota(230), quota(200), quota(200)),
        (quota(200), quota(None), quota(200)),  # no remaining stated: the one held
        (quota(None), quota(180), quota(180)),
        (quota(3), quota(250, NEXT), quota(250, NEXT)),  # a new window: taken whole
        (quota(250, NEXT), quota(3), quota(250, NEXT)),  # a late answer of the last window
        (quota(5, limit=250), quota(2400, limit=2500), quota(2400, limit=2500)),  # upgraded
        (quota(200, None), quota(230, None), quota(230, None)),  # windows unknown: the latest
        (quota(200, None), quota(None, None), quota(200, None)),
        (None, quota(17), quota(17)),
    ],
    ids=[
        "lower-held",
        "lower-new",
        "none-new",
        "none-held",
        "new-window",
        "late-old-window",
        "plan-changed",
        "no-reset",
        "no-reset-none",
        "first",
    ],
)
def test_merge_keeps_the_lowest_remaining_of_a_window(
    held: ff.Quota | None, new: ff.Quota, expected: ff.Quota
) -> None:
    assert merge_quota(held, new) == expected


def test_a_window_is_told_by_its_reset_not_by_a_seconds_jitter() -> None:
    jittered = RESET + dt.timedelta(seconds=30)
    assert merge_quota(quota(100), quota(140, jittered)).remaining == 100


def test_the_client_holds_the_lowest_remaining_answers_state(make_client: Any) -> None:
    def answer(remaining: str, reset: str = "1790208000") -> httpx.Response:
        return httpx.Response(
            200,
            json={"bars": []},
            headers=[
                ("x-ratelimit-limit", "250"),
                ("x-ratelimit-remaining", remaining),
                ("x-ratelimit-remaining", str(int(remaining) + 1)),  # a stale copy
                ("x-ratelimit-reset", reset),
            ],
        )

    client = make_client(answer("120"), answer("180"), answer("119"), answer("249", "1790294400"))
    seen = []
    for _ in range(4):
        client.get_series("SPY")
        assert client.quota is not None
        seen.append(client.quota.remaining)
    assert seen == [120, 120, 119, 249]  # the last: the next day's window
