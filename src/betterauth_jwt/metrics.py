"""Prometheus metrics for authentication outcomes, the verified-token cache and the JWKS (``pip install
'betterauth-jwt[prometheus]'``).

::

    from betterauth_jwt.metrics import PrometheusMetrics

    metrics = PrometheusMetrics()                      # registers on prometheus_client's default registry
    auth = BetterAuth(verifier, on_outcome=metrics)    # or BetterAuthMiddleware(app, verifier, on_outcome=metrics)
    metrics.watch(verifier)                            # its token cache, and its RemoteJWKS if it has one

Outcomes are counted as they happen (the adapters' ``on_outcome`` hook). Counters that the verifier and ``RemoteJWKS``
keep themselves (their ``stats``) are read when Prometheus scrapes, so watching them costs nothing per request.

Metric names (``namespace`` defaults to ``betterauth_jwt``):

=============================================  =========  ================================================================
``betterauth_jwt_auth_outcomes_total``         counter    authentication decisions by ``code`` and HTTP ``status``
``betterauth_jwt_token_remaining_seconds``     histogram  lifetime left in accepted tokens (clients refreshing late show
                                                          up near 0 before they show up as ``token_expired``)
``betterauth_jwt_token_cache_hits_total``      counter    verifications answered by the verified-token cache
``betterauth_jwt_token_cache_misses_total``    counter    verifications done in full
``betterauth_jwt_jwks_fetches_total``          counter    JWKS fetches finished (successful or not), by ``url``
``betterauth_jwt_jwks_fetch_failures_total``   counter    JWKS fetches that gave no usable key set
``betterauth_jwt_jwks_stale_served_total``     counter    lookups answered with a key set past its TTL (refresh failing)
``betterauth_jwt_jwks_ready``                  gauge      1 while a usable key set is cached
``betterauth_jwt_jwks_keys``                   gauge      keys in the cached set
=============================================  =========  ================================================================

Labels are bounded: ``code`` comes from a fixed set, ``verifier`` and ``url`` from your configuration. Paths and user ids
are never labels.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

try:
    from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
    from prometheus_client.metrics_core import Metric
    from prometheus_client.registry import Collector
except ImportError as exc:  # pragma: no cover - exercised in a subprocess without prometheus_client
    raise ImportError(
        "betterauth_jwt.metrics needs prometheus-client: pip install 'betterauth-jwt[prometheus]'"
    ) from exc

from ._verifier import Verifier
from ._web.outcome import AuthOutcome

__all__ = ["REMAINING_BUCKETS", "PrometheusMetrics"]

# Better Auth's access tokens live 15 minutes, its cookie cache 5; the buckets resolve the last minutes finely.
REMAINING_BUCKETS = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 86400.0)


class PrometheusMetrics:
    """Counters and a histogram for authentication, as an ``on_outcome`` hook plus a scrape-time collector.

    Pass the instance itself as ``on_outcome=`` to ``BetterAuth``, ``BetterAuthMiddleware`` or ``BetterAuthBackend``
    (several adapters may share one), and :meth:`watch` each :class:`~betterauth_jwt.Verifier` whose token cache and
    JWKS you want to see. ``registry`` defaults to prometheus_client's global one; tests pass their own.
    """

    def __init__(
        self,
        *,
        registry: CollectorRegistry | None = None,
        namespace: str = "betterauth_jwt",
        buckets: Iterable[float] = REMAINING_BUCKETS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.registry = REGISTRY if registry is None else registry
        self.namespace = namespace
        self._clock = clock
        self.outcomes = Counter(
            "auth_outcomes",
            "Authentication decisions, by outcome code and HTTP status.",
            ["code", "status"],
            namespace=namespace,
            registry=self.registry,
        )
        self.remaining = Histogram(
            "token_remaining_seconds",
            "Seconds of lifetime left in accepted tokens when they were presented.",
            namespace=namespace,
            buckets=tuple(buckets),
            registry=self.registry,
        )
        self._components = _Components(namespace)
        self.registry.register(self._components)

    def __repr__(self) -> str:
        return f"PrometheusMetrics(namespace={self.namespace!r})"

    def __call__(self, outcome: AuthOutcome) -> None:
        """The ``on_outcome`` hook: count the decision; for an accepted token, observe the lifetime it has left."""
        self.outcomes.labels(code=outcome.code, status=str(outcome.status)).inc()
        identity = outcome.identity
        if identity is not None and outcome.code == "ok":
            self.remaining.observe(max(0.0, identity.expires_at.timestamp() - self._clock()))

    on_outcome = __call__

    def watch(self, verifier: Verifier, *, name: str = "default") -> None:
        """Export ``verifier``'s token-cache counters (label ``verifier=name``), and its key provider's JWKS counters
        when it fetches keys (label ``url``)."""
        if not isinstance(verifier, Verifier):
            raise TypeError("watch() takes a betterauth_jwt.Verifier")
        self._components.add(name, verifier)

    def unregister(self) -> None:
        """Remove every metric of this instance from its registry (e.g. between tests sharing the default registry)."""
        for collector in (self.outcomes, self.remaining, self._components):
            self.registry.unregister(collector)


class _Components(Collector):
    """Reads the counters watched components keep (``stats``) at scrape time."""

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace
        self._verifiers: dict[str, Verifier] = {}
        self._lock = threading.Lock()

    def add(self, name: str, verifier: Verifier) -> None:
        with self._lock:
            if name in self._verifiers and self._verifiers[name] is not verifier:
                raise ValueError(f"a different verifier is already watched under the name {name!r}")
            self._verifiers[name] = verifier

    def describe(self) -> Iterable[Metric]:
        return self._families().all()  # the names are fixed: describing is collecting without samples

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            verifiers = dict(self._verifiers)
        families = self._families()
        seen_urls: set[str] = set()
        for name, verifier in sorted(verifiers.items()):
            stats = _stats(verifier)
            families.cache_hits.add_metric([name], stats.get("cache_hits", 0))
            families.cache_misses.add_metric([name], stats.get("cache_misses", 0))
            provider = verifier.keys
            url = getattr(provider, "url", None)
            health = getattr(provider, "health", None)
            if not isinstance(url, str) or url in seen_urls or not callable(health):
                continue  # not a RemoteJWKS, or one already reported through another verifier
            seen_urls.add(url)
            jwks = _stats(provider)
            report: Mapping[str, Any] = health()
            families.fetches.add_metric([url], jwks.get("fetches", 0))
            families.failures.add_metric([url], jwks.get("fetch_failures", 0))
            families.stale.add_metric([url], jwks.get("stale_served", 0))
            families.ready.add_metric([url], 1.0 if report.get("ready") else 0.0)
            families.keys.add_metric([url], float(report.get("key_count") or 0))
        return families.all()

    def _families(self) -> _Families:
        def counter(name: str, documentation: str, label: str) -> CounterMetricFamily:
            return CounterMetricFamily(f"{self._namespace}_{name}", documentation, labels=[label])

        def gauge(name: str, documentation: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(f"{self._namespace}_{name}", documentation, labels=["url"])

        return _Families(
            cache_hits=counter("token_cache_hits", "Verifications answered by the verified-token cache.", "verifier"),
            cache_misses=counter("token_cache_misses", "Verifications done in full, not from the cache.", "verifier"),
            fetches=counter("jwks_fetches", "JWKS fetches finished, successful or not.", "url"),
            failures=counter("jwks_fetch_failures", "JWKS fetches that gave no usable key set.", "url"),
            stale=counter("jwks_stale_served", "Key lookups answered with a key set past its TTL.", "url"),
            ready=gauge("jwks_ready", "1 while a usable JWKS is cached, else 0."),
            keys=gauge("jwks_keys", "Keys in the cached JWKS."),
        )


@dataclass(frozen=True, slots=True)
class _Families:
    cache_hits: CounterMetricFamily
    cache_misses: CounterMetricFamily
    fetches: CounterMetricFamily
    failures: CounterMetricFamily
    stale: CounterMetricFamily
    ready: GaugeMetricFamily
    keys: GaugeMetricFamily

    def all(self) -> list[Metric]:
        return [self.cache_hits, self.cache_misses, self.fetches, self.failures, self.stale, self.ready, self.keys]


def _stats(component: object) -> Mapping[str, int]:
    stats = getattr(component, "stats", None)
    return stats if isinstance(stats, Mapping) else {}
