"""Synthetic news text for the corpus: a seeded pool of sentences, some of them non-ASCII.

The generator draws whole sentences from the pool, so making 100,000 articles costs little more
than joining strings. About a fifth of the pool carries emoji (a ZWJ sequence and a skin-tone
modifier among them), Arabic between directional isolates, or accented Latin letters, some typed
with combining accents, which canonicalisation turns into NFC.
"""
from __future__ import annotations

import random

from workbench.text import canonicalize

# Words that planted sentences carry, so a search has a known share of matches.
COMMON_SEARCH_WORD = "ceasefire"  # in about 5% of the articles
RARE_SEARCH_WORD = "ombudsman"  # in about 0.2% of the articles
COMMON_WORD_SHARE = 0.05
RARE_WORD_SHARE = 0.002

SUBJECTS = [
    "The minister", "A spokesperson for the ministry", "The central bank", "Local officials",
    "The opposition leader", "Analysts", "The court", "Residents", "The company",
    "Health authorities", "The mayor", "Union representatives", "The prosecutor", "Researchers",
    "The governor", "Diplomats", "The regulator", "Farmers", "The army", "Investors",
]
VERBS = [
    "said", "announced", "denied", "claimed", "warned", "confirmed", "reported", "insisted",
    "estimated", "argued", "promised", "admitted", "suggested", "revealed", "predicted",
]
CLAIMS = [
    "that inflation had fallen to its lowest level in three years",
    "that the new bridge would open before the end of the summer",
    "that unemployment rose by two percent in the last quarter",
    "that the harvest was the largest on record",
    "that the talks had collapsed after a week of negotiations",
    "that more than ten thousand people attended the rally",
    "that the hospital had run out of basic supplies",
    "that the budget deficit would be halved by next year",
    "that the election results would be announced on Monday",
    "that exports to neighbouring countries doubled since January",
    "that the factory would cut four hundred jobs",
    "that the river reached its highest level in a decade",
    "that the vaccine campaign reached every province",
    "that the fuel subsidy would be withdrawn gradually",
    "that the police arrested twelve suspects overnight",
    "that school enrolment increased for the fifth year running",
    "that the drought affected nearly a million people",
    "that tourism revenue recovered to pre-pandemic levels",
    "that the railway line would be extended to the border",
    "that corruption charges against the former director were dropped",
]
TAILS = [
    "", "", "", " on Tuesday", " in a statement", " according to local media",
    " without giving details", " citing internal figures", " in an interview",
    " despite earlier reports", " during a press conference", " late on Friday",
]
OPINIONS = [
    "This is, frankly, a disgrace.", "Few believe the promise will be kept.",
    "It was the right decision at the wrong time.", "The plan is bold but unrealistic.",
    "Critics call the move a political stunt.", "Nobody should be surprised by this.",
]
ACCENTED_NAMES = [
    "Zoë Müller", "José Nuñez", "François Lefèvre", "Søren Ærø", "Łukasz Wiśniewski",
    "Ana São João", "Björn Åström", "Çağlar Öztürk", "Renée Dubé", "Jürgen Groß",
]
# Typed with combining accents (e + U+0301); canonicalize() turns them into NFC.
DECOMPOSED_NAMES = ["Ine\u0301s Garci\u0301a", "Chloe\u0308 Noe\u0308l"]
ARABIC_PHRASES = ["مرحبا بالعالم", "وزارة الصحة", "الأمم المتحدة", "البنك المركزي"]
EMOJI = ["📈", "🌍", "🔥", "👩\u200d⚕️", "👍🏽", "🇲🇱", "🗳️", "⚠️"]
PUBLISHERS = ["Daily Courier", "The Morning Ledger", "Le Quotidien", "Al-Akhbar Today",
              "Nordic Wire", "Gazeta Poranna", "The Coastal Times", "Diário Central"]
PLACES = ["Bamako", "Québec", "Gdańsk", "São Paulo", "Malmö", "Tunis", "Zürich", "Rabat",
          "Oaxaca", "Kraków", "Nouakchott", "Córdoba"]


def _plain_sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(CLAIMS)}{rng.choice(TAILS)}."


def _non_ascii_sentence(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return f"{rng.choice(ACCENTED_NAMES)} from {rng.choice(PLACES)} {rng.choice(VERBS)} " \
               f"{rng.choice(CLAIMS)}."
    if kind == 1:
        return f"{rng.choice(DECOMPOSED_NAMES)} {rng.choice(VERBS)} {rng.choice(CLAIMS)} " \
               f"{rng.choice(EMOJI)}."
    if kind == 2:
        return f"The banner read \u2067{rng.choice(ARABIC_PHRASES)}\u2069 as " \
               f"{rng.choice(SUBJECTS).lower()} {rng.choice(VERBS)} {rng.choice(CLAIMS)}."
    return f"{rng.choice(EMOJI)} {rng.choice(SUBJECTS)} {rng.choice(VERBS)} " \
           f"{rng.choice(CLAIMS)}{rng.choice(TAILS)} {rng.choice(EMOJI)}"


def build_sentence_pool(seed: int, size: int = 4000, non_ascii_share: float = 0.2) -> list[str]:
    """``size`` canonical sentences; none starts with a combining mark, so joins stay NFC."""
    rng = random.Random(seed)
    pool = []
    for _ in range(size):
        if rng.random() < non_ascii_share:
            sentence = _non_ascii_sentence(rng)
        elif rng.random() < 0.1:
            sentence = rng.choice(OPINIONS)
        else:
            sentence = _plain_sentence(rng)
        pool.append(canonicalize(sentence))
    return pool


def planted_sentence(word: str, rng: random.Random) -> str:
    """A sentence carrying a search word, so searches have a known share of matches."""
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} that the {word} was discussed again."


def make_title(rng: random.Random, serial: int) -> str:
    """A one-line title; every tenth carries a non-ASCII name or an emoji."""
    claim = rng.choice(CLAIMS).removeprefix("that ")
    title = f"{rng.choice(PLACES)}: {claim[0].upper()}{claim[1:]}"
    if serial % 10 == 3:
        title += f" — {rng.choice(ACCENTED_NAMES)}"
    elif serial % 10 == 7:
        title += f" {rng.choice(EMOJI)}"
    return canonicalize(title)
