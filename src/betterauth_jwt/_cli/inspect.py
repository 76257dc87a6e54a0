"""``betterauth-jwt inspect``: decode a token without verifying it and say what kind of Better Auth token it is."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from .._errors import InvalidTokenError
from .._logging import token_fingerprint
from .output import Output, report_rejection
from .parser import EXIT_OK, read_token
from .recognise import TIME_CLAIMS, recognise, redact, time_report

UNVERIFIED_BANNER = "UNVERIFIED: decoded without checking the signature or the claims. Do not trust what follows."


def cmd_inspect(args: argparse.Namespace, stdin: TextIO, out: Output, clock: Callable[[], float]) -> int:
    token = read_token(args.token, stdin)
    now = clock()
    try:
        found = recognise(token)
    except InvalidTokenError as exc:
        return report_rejection(out, exc, token, verified=False)
    claims = redact(found.claims) if found.claims is not None else None
    times = time_report(claims, now) if claims is not None else {}
    if found.kind == "compact_session_cookie" and claims and "expiresAt" in claims:
        times = time_report({"exp": claims["expiresAt"] / 1000}, now)
    expired = "exp" in times and times["exp"]["valid"] and times["exp"]["timestamp"] <= now
    if out.as_json:
        out.document(
            {
                "verified": False,
                "kind": found.kind,
                "description": found.description,
                "fingerprint": token_fingerprint(token),
                "header": found.header,
                "claims": claims,
                "times": times,
                "expired": expired,
                "notes": found.notes,
                "hint": found.hint,
            }
        )
        return EXIT_OK
    out.line(UNVERIFIED_BANNER)
    out.line(f"{'kind:':<13}{found.description}")
    out.line(f"{'fingerprint:':<13}{token_fingerprint(token)}")
    if found.header is not None:
        out.line(f"{'algorithm:':<13}{found.header.get('alg')}" + _kid_suffix(found.header))
    if claims:
        for label, name in (("issuer:", "iss"), ("audience:", "aud"), ("subject:", "sub")):
            if name in claims:
                out.line(f"{label:<13}{claims[name]}")
    for text in _time_lines(times, now):
        out.line(text)
    for note in found.notes:
        out.line(f"note: {note}")
    if found.header is not None:
        out.block("header", found.header)
    if claims is not None and found.kind != "compact_session_cookie":
        out.block("claims (unverified)", claims)
    if found.hint:
        out.line(f"hint: {found.hint}")
    return EXIT_OK


def _kid_suffix(header: Mapping[str, Any]) -> str:
    parts = [f"{name} {header[name]}" for name in ("kid", "typ") if name in header]
    return f" ({', '.join(parts)})" if parts else ""


def _time_lines(times: Mapping[str, Mapping[str, Any]], now: float) -> list[str]:
    lines = []
    for name, label in TIME_CLAIMS:
        info = times.get(name)
        if info is None:
            continue
        if not info["valid"]:
            lines.append(f"{label + ':':<13}'{name}' is not a valid NumericDate")
            continue
        text = f"{info['utc']} ({info['relative']})"
        if name == "exp" and info["timestamp"] <= now:
            text = f"{info['utc']} (EXPIRED {info['relative']})"
        lines.append(f"{label + ':':<13}{text}")
    return lines
