"""Keep-alive HTTP for slack_sdk's ``WebClient``.

The stock client sends each Web API call through ``urllib.request.urlopen``: a new TCP (and
TLS) connection per call, closed after the answer. Under load the connects and handshakes cost
more CPU, on both sides, than the calls. :class:`KeepAliveWebClient` sends the same requests
over ``http.client`` connections kept per thread (Bolt calls the client from many threads, and
a connection is never shared between them) and keeps urllib's contract with slack_sdk's caller:
the same result dict, ``HTTPError`` for a non-2xx answer, ``URLError`` when the request cannot
be sent and ``OSError``/``http.client`` errors while the answer is read, so the retry handlers
(``ConnectionErrorRetryHandler``, ``RateLimitErrorRetryHandler``) work unchanged.

A kept connection the server closed while idle is noticed before sending (it polls readable) and
replaced. If the close races the send, the request goes once more on a new connection, but only
when not one byte of an answer arrived (the server never read it); anything later is raised as is.

Differences from urlopen: no redirects are followed (a 3xx is an ``HTTPError``; the Web API
does not redirect), and a proxy (``self.proxy``) falls back to the stock implementation.
"""

from __future__ import annotations

import functools
import http.client
import logging
import os
import select
import socket
import ssl
import threading
from io import BytesIO
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request

from slack_sdk import WebClient

_fork_generation = 0  # bumped in a forked child: connections inherited from the parent are never used


def _after_fork() -> None:
    global _fork_generation
    _fork_generation += 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


class _Connections(threading.local):
    """This thread's kept connections of one client, by (scheme, "host:port")."""

    def __init__(self) -> None:
        self.by_origin: dict[tuple[str, str], http.client.HTTPConnection] = {}
        self.generation = _fork_generation

    def __copy__(self) -> _Connections:
        return self  # Bolt deep-copies requests (and their client) for lazy listeners: copies share the pool

    def __deepcopy__(self, memo: dict[int, Any]) -> _Connections:
        return self


class _Response(http.client.HTTPResponse):
    def begin(self) -> None:
        if self.headers is None:  # waiting for the first byte: a reset now means nothing was received
            try:
                self.fp.peek(1)
            except ConnectionResetError as err:
                raise http.client.RemoteDisconnected("Remote end closed connection without response") from err
        super().begin()


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    """What ``http.client`` builds per connection when given no context, built once."""
    context = ssl._create_default_https_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


def _readable(sock: socket.socket) -> bool:
    """True when an idle kept connection has something to read: the server's FIN, a reset, or junk."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])


class KeepAliveWebClient(WebClient):
    """A ``WebClient`` whose calls reuse per-thread keep-alive connections (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections = _Connections()

    def __deepcopy__(self, memo: dict[int, Any]) -> KeepAliveWebClient:
        # Bolt deep-copies each request for its lazy listeners, client included, so that one
        # could change its token; crewclock's never do, and copying the client cost more CPU
        # than the rest of a lazy listener's start.
        return self

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        scheme = req.type  # lower case
        if self.proxy is not None or scheme not in ("http", "https"):
            return super()._perform_urllib_http_request_internal(url, req)

        headers = {k.title(): v for k, v in req.header_items()}
        if req.data is not None:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")  # as urllib does
        conn, reused = self._connection(scheme, req.host)
        while True:
            try:
                try:
                    conn.request(req.get_method(), req.selector, req.data, headers)
                except ConnectionError as err:
                    if reused:  # the server closed the kept connection as we sent: it never had the request
                        conn.close()
                        reused = False
                        continue
                    raise URLError(err) from err
                except OSError as err:  # urlopen's type for connect and send failures
                    raise URLError(err) from err
                try:
                    resp = conn.getresponse()
                except http.client.RemoteDisconnected:  # not a byte of an answer: a stale kept connection
                    if reused:
                        conn.close()
                        reused = False
                        continue
                    raise
                body = resp.read()
            except BaseException:
                conn.close()  # a half-sent request or half-read answer: never reuse this socket
                raise
            break
        if resp.will_close:  # "Connection: close" (http.client dropped the socket already)
            conn.close()

        if not 200 <= resp.status < 300:
            raise HTTPError(req.full_url, resp.status, resp.reason, resp.headers, BytesIO(body))
        if resp.headers.get_content_type() == "application/gzip":  # admin.analytics.getFile
            if self._logger.level <= logging.DEBUG:
                self._logger.debug(
                    "Received the following response - "
                    f"status: {resp.status}, headers: {dict(resp.headers)}, body: (binary)"
                )
            return {"status": resp.status, "headers": resp.headers, "body": body}
        decoded_body = body.decode(resp.headers.get_content_charset() or "utf-8")
        if self._logger.level <= logging.DEBUG:
            self._logger.debug(
                "Received the following response - "
                f"status: {resp.status}, headers: {dict(resp.headers)}, body: {decoded_body}"
            )
        return {"status": resp.status, "headers": resp.headers, "body": decoded_body}

    def _connection(self, scheme: str, host: str) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's connection to ``scheme://host``, and whether it is an open one being reused."""
        pool = self._connections
        if pool.generation != _fork_generation:  # a forked child: the sockets belong to the parent
            pool.by_origin = {}
            pool.generation = _fork_generation
        conn = pool.by_origin.get((scheme, host))
        if conn is None:
            if scheme == "https":
                context = self.ssl if self.ssl is not None else _default_ssl_context()
                conn = http.client.HTTPSConnection(host, timeout=self.timeout, context=context)
            else:
                conn = http.client.HTTPConnection(host, timeout=self.timeout)
            conn.response_class = _Response
            pool.by_origin[(scheme, host)] = conn
        conn.timeout = self.timeout  # used by the next connect
        sock = conn.sock
        if sock is None:
            return conn, False
        if _readable(sock):  # closed by the server while idle: reconnect before sending anything
            conn.close()
            return conn, False
        if sock.gettimeout() != self.timeout:
            sock.settimeout(self.timeout)
        return conn, True
