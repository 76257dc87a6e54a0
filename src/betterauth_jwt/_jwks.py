"""Placeholder: RemoteJWKS is being implemented (issue 3)."""

from __future__ import annotations

from collections.abc import Sequence

from ._jwk import VerificationKey


class RemoteJWKS:
    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def algorithms(self) -> frozenset[str]:
        from ._algorithms import ASYMMETRIC_ALGORITHMS

        return ASYMMETRIC_ALGORITHMS

    @property
    def generation(self) -> int:
        return 0

    def get_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        raise NotImplementedError

    async def aget_keys(self, kid: str | None, alg: str) -> Sequence[VerificationKey]:
        raise NotImplementedError
