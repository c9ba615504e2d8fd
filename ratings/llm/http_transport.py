"""JSON over HTTP to one base URL, with errors sorted into transient and permanent.

Standard library only. Environment proxies are ignored on purpose: the configured base URL is
the only place the HTTP backend connects to.
"""

import http.client
import json
import socket
import urllib.error
import urllib.request
from typing import Any

from .errors import LlmPermanentError, LlmTransientError

TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}


class JsonClient:
    def __init__(self, base_url: str, *, timeout_s: float = 120.0,
                 api_key: str | None = None) -> None:
        root = base_url.rstrip("/")
        if root.endswith("/v1"):
            root = root[: -len("/v1")]
        if not root.startswith(("http://", "https://")):
            raise LlmPermanentError(f"The LLM base URL must be http(s), got {base_url!r}.")
        self.root = root
        self.timeout_s = timeout_s
        self._headers = {"Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(payload).encode("utf-8")
        return self._send(urllib.request.Request(self.root + path, data=data,
                                                 headers=self._headers, method="POST"))

    def get(self, path: str) -> dict[str, Any]:
        return self._send(urllib.request.Request(self.root + path, headers=self._headers))

    def _send(self, request: urllib.request.Request) -> dict[str, Any]:
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:500].decode("utf-8", errors="replace")
            error = LlmTransientError if exc.code in TRANSIENT_STATUS else LlmPermanentError
            raise error(f"{request.full_url} answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, socket.timeout, ConnectionError,
                http.client.HTTPException) as exc:
            raise LlmTransientError(f"{request.full_url} is unreachable: {exc}") from exc
        try:
            return json.loads(body)
        except json.JSONDecodeError as exc:
            raise LlmPermanentError(f"{request.full_url} did not answer JSON.") from exc
