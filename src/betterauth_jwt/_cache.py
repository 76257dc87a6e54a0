"""The verified-token cache: a Better Auth front end sends the same JWT for its whole lifetime, so most verifications
repeat one already done.

Only successes are stored, keyed by the whole token string. A hit is honoured only while the token's time window still
holds *now* and the key set is the one it was verified against; otherwise the entry is dropped and the token is verified
again from scratch. Memory is bounded: the oldest entry goes first.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

from ._identity import Identity


class _Entry(NamedTuple):
    identity: Identity
    valid_from: float
    valid_until: float
    generation: int


class VerifiedTokenCache:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._generation = 0
        # For metrics (Verifier.stats). Unlocked increments: under thread contention a count may be slightly low.
        self.lookups = 0
        self.hits = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str, now: float, generation: int) -> Identity | None:
        self.lookups += 1
        try:
            entry = self._entries.get(token)
        except TypeError:  # unhashable, so not a string: never cached; the parser rejects it as malformed
            return None
        if entry is None:
            return None
        if entry.generation == generation and entry.valid_from <= now < entry.valid_until:
            self.hits += 1
            return entry.identity
        self._entries.pop(token, None)
        return None

    def put(self, token: str, identity: Identity, valid_from: float, valid_until: float, generation: int) -> None:
        if self.max_entries <= 0:
            return
        if generation != self._generation:
            # The key set changed: everything verified against the old one goes at once, not entry by entry.
            self._entries.clear()
            self._generation = generation
        entries = self._entries
        entries[token] = _Entry(identity, valid_from, valid_until, generation)
        while len(entries) > self.max_entries:
            try:
                entries.popitem(last=False)
            except KeyError:  # another thread emptied it meanwhile
                break

    def clear(self) -> None:
        self._entries.clear()
