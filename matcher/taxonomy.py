"""The cluster's vocabulary: tag ids, their labels in English, Ukrainian and Russian, and synonyms.

The ids are a contract shared with profile files and API requests. They are matched
case-insensitively after trimming; a synonym ("CMT", "пошив") resolves to its id, and an unknown
value is answered with the closest valid id.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

__all__ = ["LANGUAGES", "VOCABULARIES", "Taxonomy", "load_taxonomy", "normalise_tag"]

#: The vocabularies of the taxonomy, in file order.
VOCABULARIES = (
    "org_types",
    "capabilities",
    "products",
    "partnership_types",
    "certifications",
    "market_presence",
)
#: Languages that labels are given in.
LANGUAGES = ("en", "uk", "ru")

# A singular noun for each vocabulary, used in error messages: "'sewwing' is not a capability".
_NOUNS = {
    "org_types": "an org_type",
    "capabilities": "a capability",
    "products": "a product",
    "partnership_types": "a partnership type",
    "certifications": "a certification",
    "market_presence": "a market presence tier",
}

_SPACES = re.compile(r"[\s_\-]+")

#: At most this many values' answers are kept by :meth:`Taxonomy.resolve` (misspellings too).
_RESOLVED_KEPT = 100_000


def normalise_tag(value: str) -> str:
    """Return the form in which tags and synonyms are compared.

    Case-folded, NFC-normalised, trimmed, with runs of spaces, hyphens and underscores turned
    into one underscore; apostrophe variants (’ ʼ ') are unified. Accents are kept: folding
    them would merge Ukrainian й and и, ї and і.
    """
    text = unicodedata.normalize("NFC", str(value)).strip().casefold()
    text = text.replace("’", "'").replace("ʼ", "'").replace("`", "'")
    return _SPACES.sub("_", text)


@dataclass(frozen=True)
class Term:
    """One tag of a vocabulary."""

    tag: str
    vocabulary: str
    labels: dict[str, str]
    synonyms: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    stage: str | None = None

    def label(self, language: str = "en") -> str:
        """Return the label in `language`, falling back to English, then to the id."""
        return self.labels.get(language) or self.labels.get("en") or self.tag


@dataclass(frozen=True, eq=False)
class Taxonomy:
    """The vocabularies of the cluster, loaded from YAML.

    Parameters
    ----------
    terms : dict
        ``{vocabulary: {tag: Term}}`` in file order.
    """

    terms: dict[str, dict[str, Term]]
    _lookup: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)
    #: ``resolve``'s answers by (vocabulary, value): a file of 10,000 rows names the same few
    #: hundred tags about 100,000 times, and normalising each costs more than the lookup.
    _resolved: dict[tuple[str, str], str | None] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for vocabulary, terms in self.terms.items():
            lookup: dict[str, str] = {}
            for tag, term in terms.items():
                for alias in (tag, *term.synonyms, *term.labels.values()):
                    lookup.setdefault(normalise_tag(alias), tag)
            # Ids win over synonyms and labels of other terms.
            lookup.update({normalise_tag(tag): tag for tag in terms})
            self._lookup[vocabulary] = lookup

    @classmethod
    def from_mapping(cls, data: dict) -> Taxonomy:
        """Build a taxonomy from the parsed YAML mapping."""
        terms: dict[str, dict[str, Term]] = {}
        for vocabulary in VOCABULARIES:
            entries = data.get(vocabulary)
            if not entries:
                raise ValueError(f"taxonomy has no vocabulary {vocabulary!r}")
            terms[vocabulary] = {
                str(tag): Term(
                    tag=str(tag),
                    vocabulary=vocabulary,
                    labels={lang: str(entry[lang]) for lang in LANGUAGES if entry.get(lang)},
                    synonyms=tuple(str(s) for s in entry.get("synonyms", ())),
                    keywords=tuple(str(s) for s in entry.get("keywords", ())),
                    stage=entry.get("stage"),
                )
                for tag, entry in entries.items()
            }
        return cls(terms)

    def ids(self, vocabulary: str) -> list[str]:
        """Return the ids of `vocabulary` in file order."""
        return list(self.terms[vocabulary])

    def term(self, vocabulary: str, tag: str) -> Term:
        """Return the term `tag` of `vocabulary` (ids only, no synonyms)."""
        return self.terms[vocabulary][tag]

    def label(self, vocabulary: str, tag: str, language: str = "en") -> str:
        """Return the label of `tag` in `language`; unknown tags are returned as they are."""
        term = self.terms.get(vocabulary, {}).get(tag)
        return term.label(language) if term else tag

    def labels(self, vocabulary: str, tags: Iterable[str], language: str = "en") -> list[str]:
        """Return the labels of `tags` in `language`."""
        return [self.label(vocabulary, tag, language) for tag in tags]

    def resolve(self, vocabulary: str, value: str) -> str | None:
        """Return the id that `value` names (an id, a synonym or a label), or None."""
        key = (vocabulary, value)
        try:
            return self._resolved[key]
        except KeyError:
            tag = self._lookup[vocabulary].get(normalise_tag(value))
        if len(self._resolved) < _RESOLVED_KEPT:
            self._resolved[key] = tag
        return tag

    def closest(self, vocabulary: str, value: str) -> str | None:
        """Return the valid id closest in spelling to `value`, or None if nothing is close."""
        key = normalise_tag(value)
        candidates = difflib.get_close_matches(key, list(self._lookup[vocabulary]), n=1, cutoff=0.6)
        return self._lookup[vocabulary][candidates[0]] if candidates else None

    def explain_unknown(self, vocabulary: str, value: str) -> str:
        """Return the message for an unknown value: the closest id, or the allowed ids."""
        noun = _NOUNS.get(vocabulary, f"an id of {vocabulary}")
        suggestion = self.closest(vocabulary, value)
        if suggestion:
            return f"{value!r} is not {noun}; did you mean {suggestion!r}?"
        allowed = ", ".join(self.ids(vocabulary))
        return f"{value!r} is not {noun}; allowed: {allowed}"


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """Return the taxonomy shipped with the package (loaded once)."""
    text = resources.files("matcher").joinpath("data/taxonomy.yaml").read_text(encoding="utf-8")
    return Taxonomy.from_mapping(yaml.safe_load(text))
