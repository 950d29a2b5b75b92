"""Tests of the fictional data generator and of the shipped sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from matcher.datasets import generator as datasets
from matcher.datasets.generator import (
    HOME_NETWORK,
    PROFILE_COLUMNS,
    generate_cluster,
    generate_links,
    generate_profiles,
    load_sample_frames,
    write_sample,
)
from matcher.profiles import (
    POSITIVE_KINDS,
    read_network_names,
    validate_links,
    validate_profiles,
)
from matcher.text import extract_tags


@pytest.fixture(scope="module")
def cluster() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_cluster()


@pytest.fixture(scope="module")
def validated(cluster):
    profiles, links = cluster
    return validate_profiles(profiles), validate_links(links, profiles["id"])


def _tags(cell: str) -> set[str]:
    return {tag for tag in cell.split(";") if tag}


def test_same_seed_same_frames_other_seed_other_frames():
    first = generate_cluster(n_home=40, n_international=300, seed=3)
    again = generate_cluster(n_home=40, n_international=300, seed=3)
    other = generate_cluster(n_home=40, n_international=300, seed=4)
    for a, b in zip(first, again):
        pd.testing.assert_frame_equal(a, b)
    assert not first[0].equals(other[0])
    assert not first[1].equals(other[1])
    pd.testing.assert_frame_equal(generate_profiles(500, seed=1), generate_profiles(500, seed=1))
    assert not generate_profiles(500, seed=1).equals(generate_profiles(500, seed=2))


def test_sample_validates(cluster, validated):
    profiles, links = cluster
    frame, link_list = validated
    assert list(profiles.columns) == list(PROFILE_COLUMNS)
    assert list(links.columns) == ["source", "target", "kind", "date"]
    assert profiles["id"].is_unique and len(frame) == len(profiles)
    assert len(link_list) == len(links)  # no repeated (source, target, kind)
    assert (links["source"] != links["target"]).all()
    assert not links.duplicated(["source", "target"]).any()
    assert links["date"].between("2021-01-01", "2026-12-31").all()
    assert 2500 <= len(links) <= 3500


def test_home_cluster_and_networks(cluster):
    profiles, _ = cluster
    home = profiles[profiles["network"] == HOME_NETWORK]
    assert len(home) == 150
    assert (home["country"] == "UA").all()
    assert home["org_type"].nunique() >= 6
    assert home["id"].str.match(r"^kfc-\d{4}$").all()
    networks = set(profiles["network"]) - {HOME_NETWORK}
    assert len(networks) == 12
    assert {
        "polish-fashion-cluster",
        "italian-textile-district",
        "turkish-apparel-cluster",
        "moldova-apparel-cluster",
        "baltic-fashion-network",
    } <= networks
    # Half of the profiles leave market_presence for the library to derive.
    assert 0.35 < (profiles["market_presence"] == "").mean() < 0.65


def test_untagged_home_profiles_name_their_tags_in_ukrainian(cluster):
    profiles, _ = cluster
    untagged = profiles[(profiles["offers"] == "") & (profiles["seeks"] == "")]
    assert len(untagged) >= 3
    assert (untagged["network"] == HOME_NETWORK).all()
    for description in untagged["description"]:
        found = extract_tags(description)
        assert found.offers and found.seeks, description


def test_shipped_sample_equals_generator(cluster):
    profiles, links = load_sample_frames()
    pd.testing.assert_frame_equal(profiles, cluster[0])
    pd.testing.assert_frame_equal(links, cluster[1])


def test_write_sample_round_trips(tmp_path, cluster):
    profiles_path, links_path, networks_path = write_sample(tmp_path / "out")
    assert profiles_path.read_bytes() == (datasets.SAMPLE_DIR / "profiles.csv").read_bytes()
    assert links_path.read_bytes() == (datasets.SAMPLE_DIR / "links.csv").read_bytes()
    assert networks_path.read_bytes() == (datasets.SAMPLE_DIR / "networks.csv").read_bytes()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "links.csv",
        "networks.csv",
        "profiles.csv",
    ]
    # Every network of the sample has its display names, in both languages.
    names = read_network_names(networks_path)
    assert set(names) == set(pd.read_csv(profiles_path, dtype=str)["network"])
    assert names[HOME_NETWORK] == {
        "en": "Kharkiv Fashion Cluster",
        "uk": "Харківський фешн-кластер",
    }
    assert all(set(given) == {"en", "uk"} for given in names.values())


def test_generate_profiles_at_benchmark_size():
    frame = generate_profiles(20_000, seed=0)
    assert list(frame.columns) == list(PROFILE_COLUMNS)
    assert len(frame) == 20_000 and frame["id"].is_unique
    assert (frame["network"] == HOME_NETWORK).sum() == 1000
    validate_profiles(frame)
    links = generate_links(frame, seed=0)
    assert (links["source"] != links["target"]).all()
    assert set(links["source"]) | set(links["target"]) <= set(frame["id"])


def test_links_are_complementary(cluster, validated):
    profiles, links = cluster
    frame, _ = validated
    # Tags given, else those read from the description (as the library reads them).
    offers = {
        m: set(o) or set(t)
        for m, o, t in zip(frame["member_id"], frame["offers"], frame["text_offers"])
    }
    seeks = {
        m: set(s) or set(t)
        for m, s, t in zip(frame["member_id"], frame["seeks"], frame["text_seeks"])
    }
    positive = links[links["kind"].isin(POSITIVE_KINDS)]
    pairs = zip(positive["source"], positive["target"])
    linked = np.mean([bool(offers[t] & seeks[s]) for s, t in pairs])
    rng = np.random.default_rng(0)
    ids = profiles["id"].to_numpy()
    pairs = zip(rng.choice(ids, 3000), rng.choice(ids, 3000))
    random = np.mean([bool(offers[t] & seeks[s]) for s, t in pairs if s != t])
    assert linked > 0.6
    assert linked > 3 * random


def test_links_follow_geography_and_volume(cluster):
    profiles, links = cluster
    country = dict(zip(profiles["id"], profiles["country"]))
    positive = links[links["kind"].isin(POSITIVE_KINDS)]
    same = np.mean(
        [country[s] == country[t] for s, t in zip(positive["source"], positive["target"])]
    )
    rng = np.random.default_rng(0)
    ids = profiles["id"].to_numpy()
    random = np.mean(
        [country[s] == country[t] for s, t in zip(rng.choice(ids, 3000), rng.choice(ids, 3000))]
    )
    assert same > 2 * random
    home_sources = positive[positive["source"].str.startswith("kfc-")]
    assert len(home_sources) / 150 > 2  # about 3 positive links per home member
    assert (~home_sources["target"].str.startswith("kfc-")).any()  # and some abroad


@pytest.mark.parametrize(
    "kwargs", [{"n_networks": 99}, {"n_home": -1}, {"n_home": 0, "n_international": 0}]
)
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError, match="Got"):
        generate_cluster(**kwargs)
