"""The one OpenAI-compatible chat client: rollouts and the ``llm_judge`` processor both use it.

Talks to any server that speaks ``POST {base_url}/chat/completions`` (``vllm serve``,
SGLang, hosted APIs). Requests run concurrently up to a limit; transport failures
(dropped connections, timeouts) and the retryable statuses (408, 409, 429, 5xx) are
retried with exponential backoff and jitter, honouring ``Retry-After``. The read
timeout defaults to an hour because a 32k-token chain of thought at ~10 tokens/s
takes close to that.

Servers differ from the OpenAI protocol in ways this client evens out (found against
Hugging Face ``transformers serve``; README, "OpenAI-compatible servers"): an empty
``stop`` list is not sent (``transformers serve`` fails on it with HTTP 500); a stop
string the server left in the reply is cut off, as OpenAI's API does; error bodies are
read whatever their shape (``{"error": {"message"}}``, FastAPI's ``{"detail"}``, plain
text), and a 200 reply that is not a completion is an error naming the server, not a
crash. Requests never stream and always ask for one choice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from ded_plugins.errors import StageError


__all__ = ["Aborted", "ChatResult", "EndpointError", "OpenAICompatClient"]

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


class EndpointError(StageError):
    """The endpoint failed for good: a non-retryable status, or retries exhausted."""


class Aborted(EndpointError):
    """The request was never sent: the run is stopping after another request failed."""


@dataclass(frozen=True, slots=True)
class ChatResult:
    """The first choice of one chat completion."""

    content: str
    #: thinking text a server's reasoning parser split off (``reasoning_content``), if any
    reasoning: str | None
    finish_reason: str | None
    completion_tokens: int | None


class OpenAICompatClient:
    """Async client; use as ``async with OpenAICompatClient(...) as client``."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        concurrency: int = 16,
        timeout_s: float = 3600.0,
        connect_timeout_s: float = 30.0,
        max_retries: int = 6,
        backoff_s: float = 2.0,
        max_backoff_s: float = 120.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, found {concurrency}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, found {max_retries}")
        url = base_url.rstrip("/")
        self.url = url if url.endswith("/chat/completions") else url + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._http: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None
        self._aborted = False

    @staticmethod
    def api_key_from_env(name: str | None) -> str | None:
        """The key in environment variable ``name`` (keys never live in configs)."""
        return os.environ.get(name) if name else None

    async def __aenter__(self) -> OpenAICompatClient:
        timeout = httpx.Timeout(self.timeout_s, connect=self.connect_timeout_s)
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        self._http = httpx.AsyncClient(timeout=timeout, limits=limits, headers=headers)
        self._slots = asyncio.Semaphore(self.concurrency)
        self._aborted = False
        return self

    def abort(self) -> None:
        """Send nothing new; requests already sent run to their end (their answers are kept)."""
        self._aborted = True

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def chat(self, messages: Sequence[Mapping[str, str]], **params: Any) -> ChatResult:
        """One chat completion (``n`` is always 1), retried as described above."""
        if self._http is None or self._slots is None:
            raise RuntimeError("use OpenAICompatClient inside 'async with'")
        body = {**params, "model": self.model, "messages": list(messages), "n": 1}
        stops = _stops(body.pop("stop", None))
        if stops:
            body["stop"] = list(stops)
        last = ""
        async with self._slots:
            if self._aborted:
                raise Aborted(f"{self.url}: not sent, the run is stopping")
            for attempt in range(self.max_retries + 1):
                retry_after: float | None = None
                try:
                    response = await self._http.post(self.url, json=body)
                except httpx.TransportError as exc:  # dropped connection, timeout, refused
                    last = f"{type(exc).__name__}: {exc}"
                else:
                    if response.status_code == 200:
                        return _cut_at_stop(_parse(_json(response, self.url), self.url), stops)
                    last = f"HTTP {response.status_code}: {_error_text(response)}"
                    if response.status_code not in RETRY_STATUSES:
                        raise EndpointError(f"{self.url}: {last}")
                    retry_after = _retry_after(response.headers.get("retry-after"))
                if attempt == self.max_retries:
                    break
                delay = retry_after if retry_after is not None else self._backoff(attempt)
                log.warning(
                    "%s: %s; retry %d/%d in %.1fs", self.url, last, attempt + 1, self.max_retries, delay
                )
                await asyncio.sleep(delay)
        raise EndpointError(f"{self.url}: gave up after {self.max_retries + 1} attempts; last error: {last}")

    def _backoff(self, attempt: int) -> float:
        # full jitter keeps many concurrent clients from retrying in lock step
        return float(random.uniform(0.5, 1.0) * min(self.max_backoff_s, self.backoff_s * 2**attempt))


def _stops(value: Any) -> tuple[str, ...]:
    """The stop strings asked for: a string or a list of them; empty means none."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    return tuple(str(s) for s in items if s)


def _cut_at_stop(result: ChatResult, stops: Sequence[str]) -> ChatResult:
    """The reply up to the first stop string: a server that leaves the stop string in (HF
    ``stop_strings`` do) gets OpenAI's behaviour; for one that does not, nothing changes."""
    cut = min((i for i in (result.content.find(s) for s in stops) if i >= 0), default=-1)
    if cut < 0:
        return result
    return ChatResult(
        content=result.content[:cut],
        reasoning=result.reasoning,
        finish_reason=result.finish_reason,
        completion_tokens=result.completion_tokens,
    )


def _json(response: httpx.Response, url: str) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise EndpointError(f"{url}: HTTP 200 but the body is not JSON: {response.text[:300]!r}") from None


def _error_text(response: httpx.Response) -> str:
    """The server's own message: OpenAI's ``error.message``, FastAPI's ``detail``, or the text."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text[:300]
    if isinstance(body, dict):
        error = body.get("error")
        message = error.get("message") if isinstance(error, dict) else error
        message = message or body.get("detail") or body.get("message")
        if message:
            return (message if isinstance(message, str) else json.dumps(message))[:300]
    return response.text[:300]


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _parse(payload: Any, url: str) -> ChatResult:
    try:
        choice = payload["choices"][0]
        message = choice["message"]
        content = message.get("content") or ""
        reasoning = message.get("reasoning_content") or message.get("reasoning")
        usage = payload.get("usage") or {}
        tokens = usage.get("completion_tokens")
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise EndpointError(f"{url}: unexpected response shape ({exc!r}): {str(payload)[:300]}") from None
    if not isinstance(content, str) or (reasoning is not None and not isinstance(reasoning, str)):
        raise EndpointError(f"{url}: message content is not text: {str(message)[:300]}")
    return ChatResult(
        content=content,
        reasoning=reasoning,
        finish_reason=choice.get("finish_reason"),
        completion_tokens=tokens if isinstance(tokens, int) else None,
    )
