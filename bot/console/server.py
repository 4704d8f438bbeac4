"""The stand-in Slack on a loopback port: the Web API, the file upload URL and response_urls.

Routes (all on ``127.0.0.1``, a free port):

* ``/api/<method>`` — the Web API, as ``SLACK_API_URL`` (form, JSON or query arguments;
  the bearer token must be the console's);
* ``/upload/<file id>`` — where ``files_upload_v2`` POSTs the bytes;
* ``/respond/<token>`` — response_urls, where Bolt's ``respond()`` POSTs its JSON.

Going over HTTP keeps slack_sdk's and Bolt's own code in the path: the bot's client is
built by ``bot.app.build_web_client`` and Bolt makes a client per request from its base URL.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot.console.slack import SlackStandIn, call_arguments


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: SlackStandIn


def _bearer(authorization: str) -> str:
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, like slack.com

    def do_POST(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        standin = self.server.standin
        if split.path.startswith("/api/"):
            query = dict(parse_qsl(split.query, keep_blank_values=True))
            body = self._body(raw)
            if body is None:
                self._json({"ok": False, "error": "invalid_json"})
                return
            token = _bearer(self.headers.get("Authorization", "")) or str(body.get("token") or query.get("token") or "")
            args = call_arguments(query, body)
            args.pop("token", None)
            self._json(standin.answer(split.path[len("/api/") :], args, token))
        elif split.path.startswith("/upload/"):
            found = standin.receive_upload(split.path[len("/upload/") :], raw)
            self._text(200, f"OK - {len(raw)}") if found else self._text(404, "file not found")
        elif split.path.startswith("/respond/"):
            try:
                payload = json.loads(raw or b"{}")
            except ValueError:
                payload = None
            if not isinstance(payload, dict):
                self._text(400, "invalid_payload")
                return
            found = standin.respond(split.path[len("/respond/") :], payload)
            self._text(200, "ok") if found else self._text(404, "no_service")
        else:
            self._text(404, "not found")

    do_GET = do_POST

    def _body(self, raw: bytes) -> dict[str, Any] | None:
        if not raw:
            return {}
        kind = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if kind == "application/json":
            try:
                data = json.loads(raw)
            except ValueError:
                return None
            return data if isinstance(data, dict) else None
        return dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))

    def _json(self, payload: dict[str, Any]) -> None:
        self._send(200, json.dumps(payload).encode(), "application/json; charset=utf-8")

    def _text(self, status: int, text: str) -> None:
        self._send(status, text.encode(), "text/plain; charset=utf-8")

    def _send(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the console shows what the bot did, not an access log."""


class LocalSlackServer:
    """Serves a :class:`SlackStandIn` on 127.0.0.1 for as long as the console runs."""

    def __init__(self, standin: SlackStandIn) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.standin = standin
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        standin.base_url = self.base_url
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="console-slack", daemon=True
        )

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL is set to for the bot."""
        return self.base_url + "/api/"

    def start(self) -> LocalSlackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
