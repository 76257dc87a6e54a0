"""The verified-token cache: a Better Auth front end sends the same JWT for its whole lifetime, so most verifications
repeat one already done.

Only successes are stored, keyed by the whole token string. A hit is honoured only while the token's time window still
holds *now* and the key set is the one it was verified against; otherwise the entry is dropped and the token is verified
again from scratch. Memory is bounded: the oldest entry goes first.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

Result = TypeVar("Result")

# (identity, valid_from, valid_until, generation). A plain tuple: one is built per cache miss, and a NamedTuple's
# constructor is a Python-level call; unpacking it on a hit is also cheaper than reading three attributes.
_Entry = tuple[Result, float, float, int]


class VerifiedTokenCache(Generic[Result]):
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        # A dict for the lookups and a queue of insertions for the order: cheaper per insert than an OrderedDict, which
        # allocates a linked-list node for every entry. A token dropped early (expired, stale) stays in the queue until
        # its turn, so the queue, not the dict, is what max_entries bounds.
        self._entries: dict[str, _Entry[Result]] = {}
        self._order: deque[str] = deque()
        self._generation = 0
        # For metrics (Verifier.stats, which counts the misses). Unlocked: under thread contention it may be slightly low.
        self.hits = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str, now: float, generation: int) -> Result | None:
        try:
            entry = self._entries.get(token)
        except TypeError:  # unhashable, so not a string: never cached; the parser rejects it as malformed
            return None
        if entry is None:
            return None
        identity, valid_from, valid_until, entry_generation = entry
        if entry_generation == generation and valid_from <= now < valid_until:
            self.hits += 1
            return identity
        self._entries.pop(token, None)
        return None

    def put(self, token: str, identity: Result, valid_from: float, valid_until: float, generation: int) -> None:
        if self.max_entries <= 0:
            return
        if generation != self._generation:
            # The key set changed: everything verified against the old one goes at once, not entry by entry.
            self.clear()
            self._generation = generation
        entries, order = self._entries, self._order
        entries[token] = (identity, valid_from, valid_until, generation)
        order.append(token)
        while len(order) > self.max_entries:
            try:
                oldest = order.popleft()
            except IndexError:  # another thread emptied it meanwhile
                break
            # A token verified again while still queued (its entry had expired or gone stale) is queued twice, and its
            # entry leaves with the older slot: a miss later, never a wrong answer.
            if oldest != token:
                entries.pop(oldest, None)

    def clear(self) -> None:
        self._entries.clear()
        self._order.clear()
