from pathlib import Path

import pytest
import yaml

from matcher.taxonomy import VOCABULARIES, load_taxonomy, normalise_tag

#: The cluster's reference taxonomy (the ids profile files and requests use), copied unchanged
#: into the repository: the shipped taxonomy must accept every one of its ids with its labels.
REFERENCE = Path(__file__).resolve().parent / "data" / "reference-taxonomy.yaml"


def test_every_reference_id_is_shipped_with_its_labels():
    reference = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    taxonomy = load_taxonomy()
    for vocabulary, entries in reference.items():
        for tag, entry in entries.items():
            term = taxonomy.term(vocabulary, tag)
            for language in ("en", "uk"):
                if entry.get(language):
                    # YAML flow mappings cut the reference's labels at commas; ours are quoted.
                    assert term.labels[language].startswith(str(entry[language]))


def test_every_term_has_english_ukrainian_and_russian_labels():
    taxonomy = load_taxonomy()
    for vocabulary in VOCABULARIES:
        for tag in taxonomy.ids(vocabulary):
            labels = taxonomy.term(vocabulary, tag).labels
            assert {"en", "uk", "ru"} <= set(labels), (vocabulary, tag)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("sewing", "sewing"),
        (" Sewing ", "sewing"),
        ("CMT", "sewing"),
        ("пошив", "sewing"),
        ("Knitwear Production", "knitwear_production"),
        ("knitwear-production", "knitwear_production"),
        ("OEKO-TEX", "oeko_tex_100"),
        ("трикотаж", "knitwear_production"),
    ],
)
def test_resolve_accepts_ids_synonyms_and_labels(value, expected):
    vocabulary = "certifications" if "oeko" in value.lower() else "capabilities"
    assert load_taxonomy().resolve(vocabulary, value) == expected


def test_unknown_value_gets_the_closest_id():
    message = load_taxonomy().explain_unknown("capabilities", "sewwing")
    assert message == "'sewwing' is not a capability; did you mean 'sewing'?"


def test_unknown_value_without_close_id_lists_the_allowed_ones():
    message = load_taxonomy().explain_unknown("market_presence", "zzzzzz")
    assert "allowed: local, national, regional, international" in message


def test_normalise_keeps_ukrainian_letters():
    assert normalise_tag("Їжак й") == "їжак_й"
