"""How outcomes are counted (matcher.insights.outcomes): a meeting held or a deal once per pair
of members, whichever side recorded it; shown, accepted and declined once per member and
partner; nothing implies a suggestion shown (issue 15: one meeting read "Meetings 2" and
"Suggestions shown: 2")."""

from __future__ import annotations

import pandas as pd

from matcher.insights.outcomes import (
    count_feedback,
    outcomes_from_feedback,
    summarise_outcomes,
    validate_outcomes,
)

#: One meeting recorded by a session for both sides, reported again by one side, and the feedback
#: of a second pair: shown twice, accepted, a deal (a meeting held too) reported by one side.
EVENTS = [
    ("a", "b", "meeting", "2026-11-30"),
    ("b", "a", "meeting", "2026-11-30"),
    ("a", "b", "meeting", "2026-12-01"),
    ("a", "c", "shown", "2026-11-29"),
    ("a", "c", "shown", "2026-11-30"),
    ("a", "c", "accepted", "2026-11-30"),
    ("c", "a", "deal", "2026-12-02"),
    ("c", "d", "declined", "2026-12-02"),
]


def test_feedback_counts_meetings_per_pair_and_answers_per_side():
    counts = count_feedback((m, p, e) for m, p, e, _ in EVENTS)
    assert counts == {"shown": 1, "accepted": 1, "declined": 1, "meeting": 2, "deal": 1}
    # A meeting alone is no suggestion shown.
    assert count_feedback([("a", "b", "meeting"), ("b", "a", "meeting")]) == {
        "shown": 0,
        "accepted": 0,
        "declined": 0,
        "meeting": 1,
        "deal": 0,
    }
    assert count_feedback([]) == dict.fromkeys(
        ("shown", "accepted", "declined", "meeting", "deal"), 0
    )


def test_the_outcome_rows_of_feedback_agree_with_its_counts():
    rows = outcomes_from_feedback(EVENTS)
    by_pair = rows.set_index(["member_id", "partner_id"])
    assert not by_pair.loc[("a", "b"), "shown"] and by_pair.loc[("a", "b"), "meeting_held"]
    assert by_pair.loc[("c", "a"), "meeting_held"] and by_pair.loc[("c", "a"), "deal"]
    # Both sides of a pair fall in the week of the pair's first event.
    assert by_pair.loc[("c", "a"), "date"] == by_pair.loc[("a", "c"), "date"] == "2026-11-29"
    assert by_pair.loc[("c", "a"), "session"] == "2026-W48"
    totals = summarise_outcomes(rows).totals
    counts = count_feedback((m, p, e) for m, p, e, _ in EVENTS)
    assert {k: totals[k] for k in ("shown", "accepted", "deal")} == {
        k: counts[k] for k in ("shown", "accepted", "deal")
    }
    assert totals["meeting_held"] == counts["meeting"] == 2
    assert outcomes_from_feedback([]) is None


def test_a_file_that_records_a_meeting_on_both_rows_counts_it_once():
    rows = validate_outcomes(
        pd.DataFrame(
            [
                ["day-1", "2026-03-10", "a", "b", 1, 1, 1, 1],
                ["day-1", "2026-03-10", "b", "a", 1, 1, 1, 1],
                ["day-1", "2026-03-10", "a", "c", 1, 0, 0, 0],
                # The same pair at another session: another meeting.
                ["day-2", "2026-04-02", "a", "b", 1, 0, 1, 0],
            ],
            columns=[
                "session",
                "date",
                "member_id",
                "partner_id",
                "shown",
                "accepted",
                "meeting_held",
                "deal",
            ],
        )
    )
    summary = summarise_outcomes(rows)
    sessions = summary.sessions.set_index("session")
    assert sessions.loc["day-1", ["shown", "accepted", "meeting_held", "deal"]].tolist() == [
        3,
        2,
        1,
        1,
    ]
    assert summary.totals["meeting_held"] == 2 and summary.totals["deal"] == 1
    assert summary.totals["meeting_rate"] == 0.5  # two meetings of four suggestions shown
    assert summary.months.set_index("month").loc["2026-03", "meeting_held"] == 1
