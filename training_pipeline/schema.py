"""The data's schema: column names, their kinds and the category vocabulary.

Plain Python only, so anything (the API included) may import it cheaply.
"""

from __future__ import annotations

import unicodedata
from typing import Final

CATEGORICAL_FEATURES: Final = ("type", "sector")
NUMERIC_FEATURES: Final = (
    "net_usable_area",
    "net_area",
    "n_rooms",
    "n_bathroom",
    "latitude",
    "longitude",
)
FEATURES: Final = CATEGORICAL_FEATURES + NUMERIC_FEATURES
TARGET: Final = "price"

# The vocabulary the case's data uses; training learns its own from the data and the
# model refuses categories it never saw, so this list only seeds the synthetic sample.
KNOWN_TYPES: Final = ("casa", "departamento")
KNOWN_SECTORS: Final = (
    "la reina",
    "las condes",
    "lo barnechea",
    "nunoa",
    "providencia",
    "vitacura",
)


def normalize_category(value: str) -> str:
    """Fold case, accents and spacing: 'Ñuñoa ' and 'nunoa' name the same sector."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
