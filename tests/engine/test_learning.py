"""Learning from feedback events: each kind of event changes the next model the way it should
(issue 17), on a generated value-chain world (FICTIONAL) the engine was not built on."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from matcher.datasets.value_chain import generate_value_chain_world
from matcher.engine.learning import OUTCOME_WEIGHTS, read_feedback
from matcher.engine.ranking import PartnerMatcher
from matcher.errors import InputError, UnknownMemberError
from matcher.profiles import validate_links, validate_profiles


def test_each_pair_counts_once_by_its_strongest_outcome():
    events = [
        ("a", "b", "shown"),
        ("a", "b", "accepted"),
        ("b", "a", "accepted"),  # mutual
        ("a", "c", "shown"),  # ignored
        ("a", "d", "shown"),
        ("a", "d", "declined"),
        ("a", "e", "shown"),
        ("a", "e", "declined"),
        ("a", "e", "undeclined"),  # taken back: nothing
        ("a", "f", "shown"),
        ("a", "f", "saved"),  # saved for later: nothing
        ("a", "g", "accepted"),  # one-sided
        ("g", "a", "meeting"),  # ...and they met (recorded by the other side)
        ("h", "a", "deal"),
        ("a", "h", "declined"),  # a deal outweighs a decline
        ("i", "j", "meeting"),
        ("i", "j", "declined"),  # a decline outweighs a meeting: never suggested again
    ]
    feedback = read_feedback(events)
    outcomes = {(e.member, e.partner): e.outcome for e in feedback.examples}
    assert outcomes == {
        ("a", "b"): "mutual",
        ("b", "a"): "mutual",
        ("a", "c"): "ignored",
        ("a", "d"): "declined",
        ("a", "g"): "meeting",
        ("g", "a"): "meeting",
        ("h", "a"): "deal",
        ("a", "h"): "deal",
        ("i", "j"): "declined",
    }
    weights = {(e.member, e.partner): e.weight for e in feedback.examples}
    assert weights[("a", "h")] > weights[("a", "g")] > weights[("a", "b")]
    assert weights[("a", "d")] > weights[("a", "c")] > 0
    # Partnerships (mutual, deal) become links; a meeting or a one-sided acceptance does not.
    kinds = {(link.source, link.target): link.kind for link in feedback.links}
    assert kinds == {
        ("a", "b"): "partner",
        ("b", "a"): "partner",
        ("h", "a"): "deal",
        ("a", "h"): "deal",
        ("a", "d"): "declined",
        ("i", "j"): "declined",
    }
    assert feedback.exposure == {"b": 1, "c": 1, "d": 1, "e": 1, "f": 1}


def test_unknown_events_and_bad_weights_are_refused_by_name():
    with pytest.raises(InputError, match="'liked'.*expected one of shown, accepted"):
        read_feedback([("a", "b", "liked")])
    with pytest.raises(InputError, match="feedback weight ignored=-1"):
        read_feedback([], {**OUTCOME_WEIGHTS, "ignored": -1})
    with pytest.raises(InputError, match="explore=0.9"):
        PartnerMatcher(explore=0.9).fit(validate_profiles_of_world(120))


def validate_profiles_of_world(n: int):
    world = generate_value_chain_world(n, seed=5, n_networks=4)
    return validate_profiles(world.profiles, source="world")


@pytest.fixture(scope="module")
def world():
    world = generate_value_chain_world(240, seed=3)
    frame = validate_profiles(world.profiles, source="value-chain world")
    links = validate_links(world.links, frame["member_id"], source="value-chain world")
    base = PartnerMatcher(model="logistic", explore=0.1).fit(frame, links)
    return frame, links, base


@pytest.fixture(scope="module")
def pairs(world):
    """60 members' three best suggestions by the base model."""
    frame, _, base = world
    ids = frame["member_id"].tolist()
    members = [ids[i] for i in np.random.default_rng(0).choice(len(ids), 60, replace=False)]
    return [(m, s.partner_id) for m in members for s in base.recommend(m, 3)]


def answered(pairs, kind):
    """Feedback events: every pair shown, and answered by `kind` ("ignored": not answered)."""
    events = []
    for member, partner in pairs:
        events.append((member, partner, "shown"))
        if kind == "mutual":
            events += [(member, partner, "accepted"), (partner, member, "accepted")]
        elif kind != "ignored":
            events.append((member, partner, kind))
    return events


@pytest.fixture(scope="module")
def learned(world, pairs):
    """The base model learned again from each kind of answer to the same pairs."""
    _, links, base = world
    kinds = ("declined", "ignored", "accepted", "deal", "mutual")
    return {kind: base.with_links(links, answered(pairs, kind)) for kind in kinds}


def mean_score(model, pairs):
    return float(np.mean([model.score(member, partner) for member, partner in pairs]))


def test_each_event_kind_moves_the_score_of_its_pairs_the_way_it_should(world, pairs, learned):
    _, _, base = world
    before = mean_score(base, pairs)
    change = {kind: mean_score(model, pairs) - before for kind, model in learned.items()}
    # Declines push down, more than suggestions shown and ignored (a weak negative).
    assert change["declined"] < change["ignored"] < 0
    # Acceptances pull up, deals more.
    assert change["deal"] > change["accepted"] > 0
    both_ways = set(pairs) | {(partner, member) for member, partner in pairs}
    assert learned["ignored"].feedback_.outcomes == {"ignored": len(set(pairs))}
    assert learned["deal"].feedback_.outcomes == {"deal": len(set(pairs))}
    assert learned["mutual"].feedback_.outcomes == {"mutual": len(both_ways)}


def test_a_declined_partner_is_gone_and_a_mutual_ones_look_alikes_rise(world, pairs, learned):
    frame, _, base = world
    for member, partner in pairs:
        assert partner not in [s.partner_id for s in learned["declined"].recommend(member, 20)]
    # A mutual match is a partnership: not suggested again, and the profiles most like the
    # new partner score higher for the member than before.
    model = learned["mutual"]
    risen = []
    for member, partner in pairs[::3]:
        assert partner not in [s.partner_id for s in model.recommend(member, 20)]
        assert partner in model.known_partners(member)
        row = model.position_[partner]
        likeness = model.embedding_ @ model.embedding_[row]
        likeness[[row, model.position_[member]]] = -np.inf
        look_alike = frame.index[int(np.argmax(likeness))]
        risen.append(model.score(member, look_alike) - base.score(member, look_alike))
    assert np.mean(risen) > 0 and np.mean(np.array(risen) > 0) >= 0.6


def test_without_feedback_the_model_is_what_it_was(world):
    frame, links, base = world
    again = base.with_links(links, feedback=[])
    for member in frame.index[:5]:
        assert [s.partner_id for s in again.recommend(member)] == [
            s.partner_id for s in base.recommend(member)
        ]
        assert again.score(member, frame.index[-1]) == base.score(member, frame.index[-1])


def test_feedback_naming_an_unknown_member_is_refused(world):
    _, links, base = world
    with pytest.raises(UnknownMemberError, match="'nobody'"):
        base.with_links(links, [(base.frame_.index[0], "nobody", "shown")])


def test_one_place_of_ten_goes_to_a_partner_few_have_seen(world, learned):
    frame, _, _ = world
    model = learned["ignored"]
    member = frame.index[7]
    shortlist = model.recommend(member, 10)
    explored = [s for s in shortlist if s.details.get("exploration")]
    assert len(explored) == 1 and shortlist[-1] is explored[0]
    assert "Few members have been shown it yet" in explored[0].reasons[-1]
    # It is the least seen of the candidates after the first nine.
    rows, _ = model.rank(member)
    pool = rows[9:40]
    least = model.exposure_[pool].min()
    assert model.exposure_[model.position_[explored[0].partner_id]] == least
    # In Ukrainian too; and no exploration with explore=0 or with fewer than ten places.
    uk = model.recommend(member, 10, language="uk")
    assert uk[-1].details.get("exploration") and uk[-1].reasons[-1] != explored[0].reasons[-1]
    assert not any(s.details.get("exploration") for s in model.recommend(member, 9))
    model.explore = 0.0
    try:
        assert [s.partner_id for s in model.recommend(member, 10)] == [
            frame.index[row] for row in rows[:10]
        ]
    finally:
        model.explore = 0.1


def test_spare_partners_follow_the_shortlist_and_its_exploration_place(world, learned):
    frame, _, _ = world
    model = learned["ignored"]
    member = next(m for m in frame.index if model.recommend(m, 10)[-1].details.get("exploration"))
    shortlist = model.recommend(member, 10)
    padded = model.recommend(member, 10, spare=5)
    assert [s.partner_id for s in padded[:10]] == [s.partner_id for s in shortlist]
    assert padded[9].details.get("exploration") and len(padded) == 15
    rows, _ = model.rank(member)
    shown = {model.position_[s.partner_id] for s in shortlist}
    assert [model.position_[s.partner_id] for s in padded[10:]] == [
        row for row in rows.tolist() if row not in shown
    ][:5]
    with pytest.raises(InputError, match="spare=-1"):
        model.recommend(member, 10, spare=-1)


def test_a_model_saved_before_feedback_loads_without_exploration(world):
    _, _, base = world
    state = base.__getstate__()
    for name in ("explore", "feedback_weights", "feedback_", "exposure_"):
        state.pop(name)
    old = PartnerMatcher.__new__(PartnerMatcher)
    old.__setstate__(state)
    restored = pickle.loads(pickle.dumps(old))
    assert restored.get_params()["explore"] == 0.0 and restored.exploration_slots(10) == 0
    member = base.frame_.index[3]
    assert not any(s.details.get("exploration") for s in restored.recommend(member))
