"""The report's outcomes chart (matcher.insights.report): its legend stays clear of its bars
(issue 15: drawn inside the plot at the upper right, it hid the busiest session's bars)."""

from __future__ import annotations

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg

from matcher.insights.outcomes import summarise_outcomes, validate_outcomes
from matcher.insights.report import chart_figure


class _WithOutcomes:
    """What the chart reads of the insights: their outcome summary."""

    def __init__(self, outcomes):
        self.outcomes = outcomes


def _growing_sessions() -> pd.DataFrame:
    # Three sessions, each busier than the last: the tallest bars are at the right, under
    # where a legend at the upper right of the plot would be.
    return validate_outcomes(
        pd.DataFrame(
            [
                {
                    "session": f"day-{day}",
                    "date": f"2026-0{day}-10",
                    "member_id": f"m{i}",
                    "partner_id": f"p{i}",
                    "shown": 1,
                    "accepted": i % 2,
                    "meeting_held": i % 3 == 0,
                    "deal": 0,
                }
                for day in (1, 2, 3)
                for i in range(day * 3)
            ]
        )
    )


def test_the_legend_covers_no_bar():
    insights = _WithOutcomes(summarise_outcomes(_growing_sessions()))
    for language in ("en", "uk"):
        figure = chart_figure(insights, "outcomes", language)
        renderer = FigureCanvasAgg(figure).get_renderer()
        figure.draw(renderer)
        legends = [*figure.legends, *filter(None, [figure.axes[0].get_legend()])]
        assert len(legends) == 1, language
        box = legends[0].get_window_extent(renderer)
        bars = [bar.get_window_extent(renderer) for bar in figure.axes[0].patches]
        assert len(bars) == 12  # four series, three sessions
        assert not [bar for bar in bars if bar.height > 0 and box.overlaps(bar)], language
