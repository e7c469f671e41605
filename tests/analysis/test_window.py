"""Windows, durations and buckets as the analysis functions accept them."""
from __future__ import annotations

import pandas as pd
import pytest

from jitbench.analysis.window import choose_bucket, parse_window, to_timedelta, to_utc
from jitbench.errors import ParameterError

from analysis_builders import add_traces, checkout_trace


def test_clock_times_take_the_date_of_the_data_and_zones_become_utc(store):
    add_traces(store, checkout_trace(pd.Timestamp("2026-03-02 23:59:00")))
    assert parse_window(("13:45", "14:30Z"), store) == (pd.Timestamp("2026-03-02 13:45"),
                                                        pd.Timestamp("2026-03-02 14:30"))
    assert to_utc("2026-11-29T15:02:00.000000001+01:00") == pd.Timestamp("2026-11-29 14:02:00.000000001")
    lo, hi = parse_window((None, "2026-11-29T14:00Z"))
    assert lo < pd.Timestamp("1700-01-01") and hi == pd.Timestamp("2026-11-29 14:00")


@pytest.mark.parametrize("window, message", [
    ("13:00", r"is not a \(start, end\) pair"),
    (("13:00", "12:00", "11:00"), r"is not a \(start, end\) pair"),
    (("yesterday-ish", "2026-11-29T14:00Z"), "window start 'yesterday-ish' is not a time"),
    (("2026-11-29T14:00Z", "2026-11-29T13:00Z"), "ends .* before it starts"),
])
def test_bad_windows_are_one_line_errors(window, message):
    with pytest.raises(ParameterError, match=message) as err:
        parse_window(window)
    assert "\n" not in str(err.value)


def test_clock_time_without_data_says_what_to_do(store):
    with pytest.raises(ParameterError, match="has no date and the store has no data"):
        parse_window(("13:00", "14:00"), store)


def test_durations_and_buckets():
    assert to_timedelta("500ms") == pd.Timedelta(milliseconds=500) and to_timedelta(2) == pd.Timedelta("2s")
    with pytest.raises(ParameterError, match="is not a duration"):
        to_timedelta("soon")
    day = pd.Timestamp("2026-11-29")
    assert choose_bucket(day, day + pd.Timedelta("1h")) == "30s"
    assert choose_bucket(day, day + pd.Timedelta("5min")) == "5s"
    assert choose_bucket(day, day + pd.Timedelta("7D")) == "2h"
