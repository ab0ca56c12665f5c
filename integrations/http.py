"""One outgoing HTTP POST with a hard timeout and no redirects (standard library only)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


@dataclass(frozen=True)
class HttpResult:
    status_code: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would resend the signed body to a URL nobody subscribed: treat 3xx as failure.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def timeout() -> float:
    return float(getattr(settings, "INTEGRATIONS_WEBHOOK_TIMEOUT", 10))


def post_json(url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
    if urlsplit(url).scheme not in {"http", "https"}:
        return HttpResult(None, "", "only http and https URLs are allowed", 0)
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=body, method="POST", headers={"Content-Type": "application/json", **headers}
    )
    started = time.perf_counter()
    try:
        with _opener.open(request, timeout=timeout()) as response:
            excerpt = response.read(500).decode("utf-8", "replace")
            status = response.status
        error = ""
    except urllib.error.HTTPError as exc:
        status = exc.code
        try:
            excerpt = exc.read(500).decode("utf-8", "replace")
        except OSError:
            excerpt = ""
        error = f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return HttpResult(None, "", f"{type(exc).__name__}: {reason}"[:500], _ms(started))
    return HttpResult(status, excerpt, error[:500], _ms(started))


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
