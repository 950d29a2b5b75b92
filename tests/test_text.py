import pytest

from matcher.text import extract_tags, split_many, split_needs


@pytest.mark.parametrize(
    "description, offers, seeks",
    [
        (
            "Шиємо жіночий одяг малими партіями. Шукаємо постачальника трикотажного полотна та фурнітури.",
            {"sewing", "small_batch_production"},
            {"knit_fabric_supply", "trims_supply"},
        ),
        (
            "Производим трикотажные изделия, ищем поставщика пряжи",
            {"knitwear_production"},
            {"yarn_supply"},
        ),
        (
            "We offer knitwear production and look for yarn supply and wholesale distribution in Poland",
            {"knitwear_production"},
            {"yarn_supply", "wholesale_distribution"},
        ),
    ],
)
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


def test_split_many_splits_each_description_as_split_needs_does():
    descriptions = [
        "Шиємо сукні. Ищем ткани",
        None,
        "",
        "  ",
        "Шукаємо. Шиємо сукні. Ищем ткани",
        "We sew.  Looking for fabric!\nНужны швеи;\tseeking cutters",
        "Шиємо сукні. Ищем ткани",
        "Кроїмо\u00a0тканини. Шукаємо\u2028фурнітуру",
    ]
    parts = split_many(descriptions)
    assert parts == [split_needs(d or "") for d in descriptions]
    assert parts[1] == ("", "")
    # Equal texts come back as one object.
    assert parts[0][1] is parts[6][1]


def test_sentences_are_cut_as_the_regular_expression_cuts_them():
    import random

    from matcher.text import _SENTENCES, _sentences

    rng = random.Random(0)
    pieces = [
        "a",
        "й",
        " ",
        " ",
        ".",
        "!",
        "?",
        ";",
        ",",
        "\n",
        "\t",
        "\r",
        "\u00a0",
        "\u2028",
        "\x00",
    ]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 20))) for _ in range(20000)]
    texts += ["Шиємо сукні. Ищем ткани; need cutters! Why? Now.", "a. ", " . b", "a.  b", "a.\n b"]
    assert [_sentences(t) for t in texts] == [_SENTENCES.split(t) for t in texts]
