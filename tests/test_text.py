import pytest

from matcher.text import extract_tags, split_needs


@pytest.mark.parametrize("description, offers, seeks", [
    ("Шиємо жіночий одяг малими партіями. Шукаємо постачальника трикотажного полотна та фурнітури.",
     {"sewing", "small_batch_production"}, {"knit_fabric_supply", "trims_supply"}),
    ("Производим трикотажные изделия, ищем поставщика пряжи", {"knitwear_production"}, {"yarn_supply"}),
    ("We offer knitwear production and look for yarn supply and wholesale distribution in Poland",
     {"knitwear_production"}, {"yarn_supply", "wholesale_distribution"}),
])
def test_offers_and_seeks_in_three_languages(description, offers, seeks):
    tags = extract_tags(description)
    assert offers <= set(tags.offers)
    assert seeks <= set(tags.seeks)


def test_no_false_friends_from_short_stems():
    # "кожен" (each) must not read as leather, "оптимально" not as wholesale.
    assert extract_tags("Кожен рік розширюємо асортимент оптимально").offers == ()


def test_split_needs_cuts_at_the_cue():
    offer, need = split_needs("Шиємо сукні. Ищем ткани")
    assert offer == "Шиємо сукні." and need == "Ищем ткани"
