"""The plugin's pure parts: following a log without repeats, durations, the merged event table."""

from __future__ import annotations

import argparse

import pytest

from eci_operator.kubectl.events import Row, kube_rows, render
from eci_operator.kubectl.logs import Follower, duration


def test_a_follower_prints_each_line_once_however_polls_overlap() -> None:
    f = Follower()
    first = "2026-01-01T00:00:01.5Z a\n2026-01-01T00:00:02Z b\n"
    assert f.new(first) == [("2026-01-01T00:00:01.5Z", "a"), ("2026-01-01T00:00:02Z", "b")]
    assert f.new(first) == []
    # The same stamp written with trailing zeros, a repeated line at the last stamp, and new ones.
    again = "2026-01-01T00:00:01.500000000Z a\n2026-01-01T00:00:02Z b\n2026-01-01T00:00:02Z b\n"
    assert f.new(again + "2026-01-01T00:00:03Z c\n") == [
        ("2026-01-01T00:00:02Z", "b"),
        ("2026-01-01T00:00:03Z", "c"),
    ]
    assert f.new(again + "2026-01-01T00:00:03Z c\n") == []


def test_lines_sharing_the_stamp_of_a_tail_are_not_taken_for_new_ones() -> None:
    f = Follower()
    assert f.new("2026-01-01T00:00:02Z three\n") == [("2026-01-01T00:00:02Z", "three")]  # --tail 1
    poll = "2026-01-01T00:00:01Z one\n2026-01-01T00:00:02Z two\n2026-01-01T00:00:02Z three\n"
    assert f.new(poll) == []
    assert f.new(poll + "2026-01-01T00:00:02Z four\n") == [("2026-01-01T00:00:02Z", "four")]
    assert f.new(poll + "2026-01-01T00:00:02Z four\n") == []


@pytest.mark.parametrize("text, seconds", [("45s", 45), ("10m", 600), ("1h30m", 5400), ("2h", 7200)])
def test_durations(text: str, seconds: int) -> None:
    assert duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "1d", "m5"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        duration(text)


def test_events_of_both_sources_are_one_table_in_time_order() -> None:
    kube = kube_rows(
        [
            {
                "type": "Normal",
                "reason": "Restarted",
                "message": "restarted",
                "eventTime": "2026-01-01T00:00:05.123456Z",
                "reportingComponent": "eci-operator",
            }
        ]
    )
    eci = [Row("2026-01-01T00:00:03Z", "Normal", "Started", "eci", 1, "All containers are running")]
    lines = render(kube + eci).splitlines()
    assert lines[0].split()[:4] == ["LAST", "SEEN", "TYPE", "REASON"]
    assert [line.split()[2] for line in lines[1:]] == ["Started", "Restarted"]
    assert lines[2].split()[0] == "2026-01-01T00:00:05Z"
