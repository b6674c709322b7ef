"""Keyword search of campaigns, in PostgreSQL's full text, for English and Bengali alike.

A campaign's words are its title (weight A) and instructions (weight B), read twice: by the
``english`` configuration (stems: "watching" finds "watch", "videos" finds "video") and by
``simple`` (every word as written, lower-cased: PostgreSQL has no Bengali stemmer, and
``simple`` keeps Bengali words whole). PostgreSQL keeps that reading in
``tasks_campaigntext`` (``CampaignText``), one row a campaign under a GIN index, from a
trigger on the campaigns' table (migration 0015 writes it): a stored vector is matched in a
microsecond where computing it again took some 25 per campaign, and in a table of its own
it never rides along when a campaign row is loaded.

A query (:func:`search_query`) takes each word, English-stemmed, as the start of a word, all
words required: "ফেসবুক পেজ" finds "ফেসবুক পেজে লাইক দিন" (Bengali
inflects with suffixes, so a prefix stands in for the stemmer), "review" finds "reviews"
and "reviewing". Words are cut to letters, marks, digits and a few joiners (example.com)
before PostgreSQL sees them, so no input can be tsquery syntax.
"""

from __future__ import annotations

import unicodedata

from django.contrib.postgres.search import SearchQuery

# The configuration a search's words are read by (its stems as prefixes; see tsquery_text).
QUERY_CONFIG = "english"
# Words of a query that count (the rest are ignored): enough for any real search.
QUERY_MAX_WORDS = 8
# Characters of a query the forms and serializers accept.
QUERY_MAX_CHARS = 100
# Characters that join the parts of one word (example.com, e-mail, user_name) when between
# two others; anywhere else they separate words, as every other character does.
JOINERS = ".-_@/"


def _keep(char: str) -> bool:
    # Letters, combining marks (Bengali vowel signs and the virama) and digits.
    return unicodedata.category(char)[0] in "LMN"


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


def tsquery_text(text: str) -> str | None:
    """The search as tsquery syntax for the ``english`` configuration: every word, each as
    the start of a lexeme, all required (``'watch':* & 'video':*``); None for a search with
    no words. Safe to hand PostgreSQL as is: :func:`query_words` leaves no syntax in a word.

    One term a word, the word English-stemmed as a prefix: it matches the English reading
    (videos → video:* finds "video") and the written one (পেজ:* finds "পেজে"; the English
    stemmer leaves Bengali as it is), and PostgreSQL's statistics tell how common it is."""
    words = query_words(text)
    return " & ".join(f"'{word}':*" for word in words) if words else None


def search_query(text: str) -> SearchQuery | None:
    """:func:`tsquery_text` for the ORM: match it against ``CampaignText.vector``; None for
    a search with no words (which filters nothing)."""
    raw = tsquery_text(text)
    return None if raw is None else SearchQuery(raw, search_type="raw", config=QUERY_CONFIG)
