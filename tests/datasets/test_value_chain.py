"""The value-chain world: a second, independent generator of fictional cluster data."""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from matcher.datasets.value_chain import (
    SIGMA,
    ValueChainWorld,
    generate_value_chain_world,
    write_value_chain_world,
)
from matcher.profiles import (
    LINK_KINDS,
    POSITIVE_KINDS,
    PROFILE_COLUMNS,
    check_files,
    validate_profiles,
)
from matcher.taxonomy import load_taxonomy

HOME = "kharkiv-fashion-cluster"
UKRAINIAN_ONLY = re.compile(r"[іїєґІЇЄҐ]")
RUSSIAN_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")


@pytest.fixture(scope="module")
def world() -> ValueChainWorld:
    """The full-size world of seed 0 (the properties that need 2,400 organisations)."""
    return generate_value_chain_world(n_organisations=2400, seed=0)


@pytest.fixture(scope="module")
def small() -> ValueChainWorld:
    return generate_value_chain_world(n_organisations=400, seed=3)


def _positive_degree(world: ValueChainWorld) -> np.ndarray:
    row = {member: k for k, member in enumerate(world.profiles["id"])}
    positive = world.links[world.links["kind"].isin(POSITIVE_KINDS)]
    degree = np.zeros(world.n, dtype=int)
    np.add.at(degree, positive["source"].map(row).to_numpy(), 1)
    np.add.at(degree, positive["target"].map(row).to_numpy(), 1)
    return degree


def _linked_targets(world: ValueChainWorld) -> dict[int, set[int]]:
    row = {member: k for k, member in enumerate(world.profiles["id"])}
    positive = world.links[world.links["kind"].isin(POSITIVE_KINDS)]
    targets: dict[int, set[int]] = defaultdict(set)
    for source, target in zip(positive["source"].map(row), positive["target"].map(row)):
        targets[source].add(target)
    return targets


def test_same_seed_same_world_other_seed_other_world():
    first = generate_value_chain_world(n_organisations=300, seed=7)
    again = generate_value_chain_world(n_organisations=300, seed=7)
    other = generate_value_chain_world(n_organisations=300, seed=8)
    pd.testing.assert_frame_equal(first.profiles, again.profiles)
    pd.testing.assert_frame_equal(first.links, again.links)
    np.testing.assert_array_equal(first.preference(5, np.arange(300)),
                                  again.preference(5, np.arange(300)))  # fmt: skip
    assert not first.profiles.equals(other.profiles)
    assert not first.links.equals(other.links)


def test_written_files_pass_the_project_loaders(tmp_path):
    out = tmp_path / "world"
    profiles_path, links_path = write_value_chain_world(out, n_organisations=400, seed=1)
    assert (profiles_path.name, links_path.name) == ("profiles.csv", "links.csv")
    assert sorted(p.name for p in out.iterdir()) == ["links.csv", "profiles.csv"]  # no temp files
    frame, links, errors = check_files(profiles_path, links_path)  # the CLI's loaders
    assert errors == []
    assert len(frame) == 400 and frame["member_id"].is_unique
    assert links and {link.kind for link in links} <= set(LINK_KINDS)
    assert len(links) == len(pd.read_csv(links_path, dtype=str))
    # The header is the format's columns; the file is the generated frame.
    raw = pd.read_csv(profiles_path, dtype=str, keep_default_na=False, encoding="utf-8")
    assert tuple(raw.columns) == PROFILE_COLUMNS
    world = generate_value_chain_world(n_organisations=400, seed=1)
    pd.testing.assert_frame_equal(raw, world.profiles)


def test_full_world_validates_and_uses_taxonomy_ids(world):
    frame = validate_profiles(world.profiles)  # raises on any bad row
    assert len(frame) == world.n == 2400
    taxonomy = load_taxonomy()
    capabilities = set(taxonomy.ids("capabilities"))
    for column, vocabulary in (("offers", capabilities), ("seeks", capabilities),
                               ("products", set(taxonomy.ids("products"))),
                               ("certifications", set(taxonomy.ids("certifications"))),
                               ("partnership_types", set(taxonomy.ids("partnership_types")))):  # fmt: skip
        tags = {tag for cell in world.profiles[column] for tag in cell.split(";") if tag}
        assert tags and tags <= vocabulary, column
    assert set(world.profiles["org_type"]) <= set(taxonomy.ids("org_types"))
    stated = world.profiles["market_presence"]
    assert set(stated[stated != ""]) <= set(taxonomy.ids("market_presence"))
    assert (stated == "").any() and (stated != "").any()
    networks = world.profiles["network"].value_counts()
    assert len(networks) == 12 and networks.idxmax() == HOME
    assert networks.max() > 2 * networks.min()  # unequal sizes
    home = world.profiles[world.profiles["network"] == HOME]
    assert set(home["country"]) >= {"UA"} and (home["country"] == "UA").mean() > 0.9
    assert world.profiles["id"].is_unique and world.profiles["name"].is_unique


def test_links_join_existing_ids_without_self_links(world):
    ids = set(world.profiles["id"])
    links = world.links
    assert tuple(links.columns) == ("source", "target", "kind", "date")
    assert set(links["source"]) <= ids and set(links["target"]) <= ids
    assert not (links["source"] == links["target"]).any()
    assert set(links["kind"]) == {"partner", "supplier", "deal", "declined", "meeting"}
    assert pd.to_datetime(links["date"], format="%Y-%m-%d").notna().all()
    assert not links.duplicated(["source", "target", "kind"]).any()
    counts = links["kind"].value_counts()
    positive = counts[["partner", "supplier", "deal"]].sum()
    assert 3000 <= positive <= 5000
    assert 100 <= counts["declined"] <= 600
    assert counts["meeting"] >= 100
    # A positive pair is recorded in one direction only.
    pairs = links[links["kind"].isin(POSITIVE_KINDS)][["source", "target"]]
    forward = set(map(tuple, pairs.to_numpy()))
    assert not any((t, s) in forward for s, t in forward)


def test_degree_is_heterogeneous_with_many_unlinked_members(world):
    degree = _positive_degree(world)
    share_without = float((degree == 0).mean())
    assert 0.35 <= share_without <= 0.50  # the band the module documents
    assert degree.max() >= 20  # hubs
    assert np.median(degree[degree > 0]) <= 4


def test_profiles_are_partial_and_multilingual(world):
    profiles = world.profiles
    description_only = (profiles["offers"] == "") & (profiles["seeks"] == "")
    assert 0.05 <= description_only.mean() <= 0.2
    assert (profiles.loc[description_only, "description"] != "").all()
    home = profiles[(profiles["network"] == HOME) & (profiles["country"] == "UA")]
    assert home["description"].str.contains(UKRAINIAN_ONLY).sum() > 50
    assert home["description"].str.contains(RUSSIAN_ONLY).sum() > 5
    abroad = profiles[profiles["country"] != "UA"]
    english = abroad["description"].str.contains(r"\b(?:We|based in)\b")
    assert english.sum() > 0.5 * (abroad["description"] != "").sum()
    for column in ("employees", "capacity_units_month", "min_order_qty", "certifications",
                   "market_presence", "seeks"):  # fmt: skip
        assert (profiles[column] == "").mean() > 0.1, column
    # Stated offers are only part of the truth: some true offers are left out, a few are wrong.
    left_out = wrong = 0
    for cell, truth in zip(profiles["offers"], world.true_offers):
        stated = set(cell.split(";")) - {""}
        left_out += bool(stated) and not set(truth) <= stated
        wrong += bool(stated - set(truth))
    assert left_out > 200 and 50 < wrong < 600


def test_latent_arrays_have_one_row_per_profile(small):
    n = small.n
    for name in ("role", "network", "lines", "employees", "capacity", "min_order",
                 "order_volume", "price", "green", "quality", "certifications", "requirements",
                 "languages", "engaged", "activity", "fairs", "threshold", "aware"):  # fmt: skip
        assert len(getattr(small, name)) == n, name
    assert small.aware.shape == (n, n) and not small.aware.diagonal().any()
    np.testing.assert_allclose(small.lines.sum(axis=1), 1.0)
    assert (small.activity[~small.engaged] == 0).all()


def test_preference_is_the_oracle_and_beats_random(world):
    targets = _linked_targets(world)
    rng = np.random.default_rng(0)
    sources = rng.choice(sorted(targets), size=150, replace=False)
    everyone = np.arange(world.n)
    percentiles, recalls = [], []
    for source in sources:
        utility = world.preference(source, everyone)
        assert utility.shape == (world.n,) and utility[source] == -np.inf
        order = np.argsort(-utility)
        rank = np.empty(world.n, dtype=int)
        rank[order] = np.arange(world.n)
        linked = sorted(targets[source])
        percentiles.extend(1 - rank[linked] / (world.n - 2))
        recalls.append(len(set(order[:10]) & set(linked)) / len(linked))
    assert np.mean(percentiles) > 0.85  # random: 0.5
    assert 0.15 < np.mean(recalls) < 0.8  # clearly better than random (0.004), not perfect
    # The same numbers from the matrix form and for a subset of candidates.
    subset = np.array([3, 1, 4, 1, 5, 9, 2, 6])
    np.testing.assert_allclose(world.preference(7, subset), world.utility_matrix([7])[0][subset])


def test_declined_pairs_are_worse_than_positive_pairs(world):
    row = {member: k for k, member in enumerate(world.profiles["id"])}

    def mean_utility(kinds):
        links = world.links[world.links["kind"].isin(kinds)]
        return np.mean([world.preference(row[s], np.array([row[t]]))[0]
                        for s, t in zip(links["source"], links["target"])])  # fmt: skip

    assert mean_utility({"declined"}) < mean_utility(POSITIVE_KINDS) - 1.0


def test_accept_probability_is_a_monotone_probability(small):
    everyone = np.arange(small.n)
    highest, medians = [], []
    for source in (0, 17, 123, 250, 399):
        probability = small.accept_probability(source, everyone)
        utility = small.preference(source, everyone)
        assert probability.shape == (small.n,)
        assert np.all((probability >= 0) & (probability <= 1))
        assert probability[source] == 0.0
        order = np.argsort(utility, kind="stable")
        assert np.all(np.diff(probability[order]) >= 0)
        # The world's answer model: U + SIGMA * Gumbel > the member's threshold.
        z = (utility[order[-1]] - small.threshold[source]) / SIGMA
        assert probability[order[-1]] == pytest.approx(1 - np.exp(-np.exp(z)))
        highest.append(probability.max())
        medians.append(np.median(probability))
    assert max(highest) > 0.5 and np.median(medians) < 0.1


def test_smaller_worlds_and_fewer_networks():
    world = generate_value_chain_world(n_organisations=120, seed=2, n_networks=3)
    assert len(world.profiles) == 120
    assert set(world.profiles["network"]) == set(world.network_slugs)
    assert len(world.network_slugs) == 3 and world.network_slugs[0] == HOME
    validate_profiles(world.profiles)
    with pytest.raises(ValueError):
        generate_value_chain_world(n_organisations=100, n_networks=13)
    with pytest.raises(ValueError):
        generate_value_chain_world(n_organisations=20, n_networks=12)
