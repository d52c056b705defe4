"""Inconsistent spellings of one category, found on the distinct values only.

DESIGN
------
* Values whose normalised key (case, accents, punctuation, whitespace) is equal, or whose
  keys are near-equal by similarity or are initials of one another ("NY" / "New York"),
  form a group; the proposed mapping sends every variant to the group's most frequent
  spelling. Accepting it creates a new dataset version; the original is kept.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

from core.db import datasets as datasets_db
from core.db.database import Database
from core.errors import StoreError

SIMILARITY = 0.88


@dataclass(frozen=True)
class SpellingGroup:
    """Values of a column that are probably one category, and the spelling they become."""

    column: str
    canonical: str
    variants: list[tuple[str, int]]  # (value, rows), most frequent first
    reason: str


def normalize_key(value: str) -> str:
    """Case, accents, punctuation and whitespace removed: the key spellings are grouped by.

    >>> normalize_key("  New-York. "), normalize_key("São  Paulo")
    ('new york', 'sao paulo')
    """
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


def _initials(key: str) -> str:
    words = key.split()
    return "".join(w[0] for w in words) if len(words) >= 2 else ""


def _similar(a: str, b: str, threshold: float) -> bool:
    if min(len(a), len(b)) < 4 or re.findall(r"\d+", a) != re.findall(r"\d+", b):
        return False
    m = difflib.SequenceMatcher(None, a, b)
    return (
        m.real_quick_ratio() >= threshold
        and m.quick_ratio() >= threshold
        and m.ratio() >= threshold
    )


class _Partition:
    """Union-find over keys, remembering why groups were joined."""

    def __init__(self, keys: list[str]) -> None:
        self.parent = {k: k for k in keys}
        self.reasons: dict[str, set[str]] = {}

    def find(self, k: str) -> str:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def union(self, a: str, b: str, why: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
            self.reasons.setdefault(ra, set()).update(self.reasons.pop(rb, set()))
        self.reasons.setdefault(ra, set()).add(why)


def find_spelling_groups(
    counts: dict[str, list[tuple[str, int]]],
    threshold: float = SIMILARITY,
    max_similarity_keys: int = 400,
) -> list[SpellingGroup]:
    """Groups of values that are probably one category spelled differently.

    ``counts`` maps a column to its (value, rows). Values join a group when their
    normalised keys are equal, when one key is the initials of another ("ny" / "new york"),
    or when the keys are similar (difflib ratio >= ``threshold``, both at least 4
    characters, the same numbers) — the last only for columns with at most
    ``max_similarity_keys`` distinct keys.

    Examples
    --------
    >>> g = find_spelling_groups({"city": [("NY", 50), ("New York", 40), ("ny ", 10),
    ...                                    ("Boston", 30), ("boston", 2)]})
    >>> [(x.canonical, [v for v, _ in x.variants]) for x in g]
    [('NY', ['NY', 'New York', 'ny ']), ('Boston', ['Boston', 'boston'])]
    """
    groups = [
        g
        for column, values in counts.items()
        for g in _column_groups(column, values, threshold, max_similarity_keys)
    ]
    return sorted(groups, key=lambda g: (g.column, -sum(n for _, n in g.variants)))


def _column_groups(
    column: str, values: list[tuple[str, int]], threshold: float, max_similarity_keys: int
) -> list[SpellingGroup]:
    by_key: dict[str, list[tuple[str, int]]] = {}
    for value, n in values:
        key = normalize_key(value)
        if key:
            by_key.setdefault(key, []).append((str(value), int(n)))
    keys = list(by_key)
    groups_of = _Partition(keys)
    initials = {_initials(k): k for k in keys if _initials(k)}
    for k in keys:
        short = k.replace(" ", "")
        if short in initials and initials[short] != k:
            groups_of.union(initials[short], k, "initials")
    if len(keys) <= max_similarity_keys:
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                if abs(len(a) - len(b)) <= max(2, len(a) // 4) and _similar(a, b, threshold):
                    groups_of.union(a, b, "similar spelling")
    members: dict[str, list[tuple[str, int]]] = {}
    for k in keys:
        members.setdefault(groups_of.find(k), []).extend(by_key[k])
    groups = []
    for root, variants in members.items():
        if len(variants) < 2:
            continue
        variants = sorted(variants, key=lambda v: (-v[1], v[0]))
        why = {"same letters ignoring case, accents, punctuation and spaces"}
        why |= groups_of.reasons.get(root, set())
        groups.append(SpellingGroup(column, variants[0][0], variants, "; ".join(sorted(why))))
    return groups


def mapping_frame(groups: list[SpellingGroup]) -> pd.DataFrame:
    """The proposed mapping as an editable table: column, value, rows, becomes, apply."""
    rows = [
        {
            "column": g.column,
            "value": v,
            "rows": n,
            "becomes": g.canonical,
            "apply": True,
        }
        for g in groups
        for v, n in g.variants
        if v != g.canonical
    ]
    return pd.DataFrame(rows, columns=["column", "value", "rows", "becomes", "apply"])


def mapping_from_frame(frame: pd.DataFrame) -> dict[str, dict[str, str]]:
    """{column: {value: new value}} from the edited table (rows with apply ticked)."""
    out: dict[str, dict[str, str]] = {}
    for r in frame.to_dict("records"):
        if r.get("apply") and r["value"] != r["becomes"] and str(r["becomes"]).strip():
            out.setdefault(r["column"], {})[r["value"]] = str(r["becomes"])
    return out


def standardize(
    store: Database,
    dataset_id: int,
    mapping: dict[str, dict[str, str]],
    *,
    name: str,
    actor: str,
) -> int:
    """A new dataset version with the mapping applied; the original is kept.

    Raises StoreError when the mapping is empty.
    """
    mapping = {c: m for c, m in mapping.items() if m}
    if not mapping:
        raise StoreError("No value is selected to change: tick 'apply' for at least one row.")
    note = "Standardized spellings: " + "; ".join(
        f"{c}: "
        + ", ".join(f"{a!r}->{b!r}" for a, b in list(m.items())[:5])
        + (" ..." if len(m) > 5 else "")
        for c, m in mapping.items()
    )
    return datasets_db.derive_dataset(
        store, dataset_id, name, mapping, actor=actor, note=note[:500]
    )
