"""Vanity numbers: the best words a caller's phone number spells on a keypad, and how to say them.

Standard library only at run time; the word index is a packaged artifact built by
`tools/build_vanity_index.py`. The public API lives in `shared.phone.vanity.engine` and is re-exported here.
"""

from shared.phone.vanity.engine import (
    InvalidNumber,
    Vanity,
    VanityIndex,
    normalize_number,
    spell_back,
    spoken,
    vanity_numbers,
)

__all__ = [
    "InvalidNumber",
    "Vanity",
    "VanityIndex",
    "normalize_number",
    "spell_back",
    "spoken",
    "vanity_numbers",
]
