"""The `kind` every stored lead carries for the prefix indexes: the enricher writes it, the lead reader queries it.

A module of its own, so that reading leads does not import the enricher (and with it the rules and phonenumbers).
"""

from __future__ import annotations

#: the partition key of `by_email`, `by_name` and `by_company` (kept out of the Lead model)
INDEX_KIND = "lead"
