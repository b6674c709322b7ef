"""Keyword search of campaigns, in PostgreSQL's full text, for English and Bengali alike.

A campaign's words are its title (weight A) and instructions (weight B), read twice: by the
``english`` configuration (stems: "watching" finds "watch", "videos" finds "video") and by
``simple`` (every word as written, lower-cased: PostgreSQL has no Bengali stemmer, and
``simple`` keeps Bengali words whole). :data:`CAMPAIGN_VECTOR` is that expression; a GIN
index on the very same expression (``tasks_campaign_search_idx``) serves the feed, so no
column is stored and no campaign row grows.

A query (:func:`search_query`) takes each word by its English stem, or as the start of a
word as written, all words required: "ফেসবুক পেজ" finds "ফেসবুক পেজে লাইক দিন" (Bengali
inflects with suffixes, so a prefix stands in for the stemmer), "review" finds "reviews"
and "reviewing". Words are cut
to letters, marks, digits and a few joiners (example.com) before PostgreSQL sees them, so no
input can be tsquery syntax.
"""

from __future__ import annotations

import unicodedata
from functools import reduce
from operator import and_

from django.contrib.postgres.search import SearchQuery, SearchVector

# The readings of every campaign's text: stemmed English, and each word as written.
CONFIGS = ("english", "simple")
# Words of a query that count (the rest are ignored): enough for any real search.
QUERY_MAX_WORDS = 8
# Characters of a query the forms and serializers accept.
QUERY_MAX_CHARS = 100


def _vector():
    parts = [
        SearchVector(field, config=config, weight=weight)
        for field, weight in (("title", "A"), ("instructions", "B"))
        for config in CONFIGS
    ]
    return reduce(lambda a, b: a + b, parts)


CAMPAIGN_VECTOR = _vector()


def _keep(char: str) -> bool:
    # Letters, combining marks (Bengali vowel signs and the virama) and digits.
    return unicodedata.category(char)[0] in "LMN"


# Characters that join the parts of one word (example.com, e-mail, user_name) when between
# two others; anywhere else they separate words, as every other character does.
JOINERS = ".-_@/"


def query_words(text: str) -> list[str]:
    """The words of a search, lower-cased, in order, each once: runs of letters, marks and
    digits, with JOINERS inside them, at most QUERY_MAX_WORDS. No quote, backslash, colon
    or operator survives, so a word is always one quoted tsquery lexeme."""
    cleaned = "".join(
        char if _keep(char) or char in JOINERS else " " for char in (text or "").lower()
    )
    words: list[str] = []
    for word in (part.strip(JOINERS) for part in cleaned.split()):
        if word and word not in words:
            words.append(word)
    return words[:QUERY_MAX_WORDS]


def search_query(text: str) -> SearchQuery | None:
    """Campaigns with every word of ``text`` (as a prefix, English-stemmed or as written);
    None for a search with no words (which filters nothing)."""
    words = query_words(text)
    if not words:
        return None
    return reduce(and_, (_either(word) for word in words))


def _either(word: str) -> SearchQuery:
    # The English stem as a whole word, or the word as written as a prefix. Not the stem as a
    # prefix too: PostgreSQL's statistics tell how common a whole lexeme is, not a prefix,
    # and with every term a prefix it took common words for rare ones and planned the feed
    # for a handful of rows (bench/feed.py); the written prefix finds what the stem would.
    return SearchQuery(f"'{word}'", search_type="raw", config="english") | SearchQuery(
        f"'{word}':*", search_type="raw", config="simple"
    )
