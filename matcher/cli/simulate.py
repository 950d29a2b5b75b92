"""``matcher simulate``: a simulated season of matchmaking rounds, to measure whether the model
learns from what members do with its suggestions (:mod:`matcher.engine.simulation`)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict

import click

from .commands import _run


@click.command("simulate")
@click.option(
    "--organisations", default=2150, show_default=True, help="Size of the generated world."
)
@click.option(
    "--members", default=500, show_default=True, help="Members shown suggestions each round."
)
@click.option("--rounds", default=5, show_default=True, help="Matchmaking rounds in the season.")
@click.option("-k", "k", default=10, show_default=True, help="Suggestions shown per member.")
@click.option(
    "--known-share",
    default=0.3,
    show_default=True,
    help="Share of the world's links known at the start.",
)
@click.option(
    "--explore",
    default=None,
    type=float,
    help="Share of each shortlist the exploring policies give to partners few have seen "
    "(default: the service's).",
)
@click.option(
    "--model",
    default="auto",
    show_default=True,
    help="The score model every policy learns (auto, logistic, gbt, ...).",
)
@click.option(
    "--policy",
    "policies",
    multiple=True,
    help="A policy to play (repeatable; default every one): learning, never, oracle, "
    "unweighted, links-only, no-exploration.",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the world and the answers.")
@click.option(
    "--out", type=click.Path(dir_okay=False), help="Write every figure here as JSON as well."
)
def simulate(organisations, members, rounds, k, known_share, explore, model, policies, seed, out):
    """Play a simulated season and print each policy's figures by round (Markdown tables).

    The world is FICTIONAL (matcher.datasets.value_chain): its organisations answer the
    suggestions they are shown by their latent preferences, and the learning policies retrain
    on the events after every round, as the service does.
    """

    def action() -> None:
        from ..engine.ranking import SERVICE_EXPLORE
        from ..engine.simulation import (
            METRICS,
            POLICIES,
            POLICY_NOTES,
            SeasonSettings,
            season_summary,
            season_table,
            simulate_season,
        )
        from ..files import atomic_write_text

        settings = SeasonSettings(
            organisations=organisations,
            members=members,
            rounds=rounds,
            k=k,
            known_share=known_share,
            explore=SERVICE_EXPLORE if explore is None else explore,
            model=model,
            seed=seed,
            policies=tuple(policies) or POLICIES,
        )
        figures = simulate_season(settings, lambda line: click.echo(line, err=True))
        for metric in ("recall", "acceptance", "coverage"):
            click.echo(f"### {METRICS[metric].capitalize()}, all members\n")
            click.echo(season_summary(figures, metric) + "\n")
        click.echo(f"## All {members} members\n\n{season_table(figures)}\n")
        click.echo(
            f"## Cold start (no known link at the start)\n\n{season_table(figures, 'cold')}\n"
        )
        for policy in settings.policies:
            click.echo(f"- {policy}: {POLICY_NOTES[policy]}")
        if out:
            record = {
                "settings": asdict(settings),
                "figures": [
                    {
                        key: (None if isinstance(value, float) and math.isnan(value) else value)
                        for key, value in asdict(line).items()
                    }
                    for line in figures
                ],
            }
            atomic_write_text(out, json.dumps(record, indent=1) + "\n")

    _run(action)
