"""The HTTP front of the sandbox: a threading server routing to the endpoint modules."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from platforms.sandbox import control, graph_api, x_api
from platforms.sandbox.store import Store
from platforms.sandbox.wire import Reply, Request, html_reply, json_reply

log = logging.getLogger("platforms.sandbox")


def route(store: Store, req: Request) -> Reply:
    if req.path.startswith("/2/"):
        return x_api.handle(store, req)
    if graph_api.PATH_RE.match(req.path):
        return graph_api.handle(store, req)
    if req.path.startswith("/_sandbox/"):
        return control.handle(store, req)
    if req.path == "/" and req.method == "GET":
        return html_reply(200, control.index_page(store))
    return json_reply(404, {"error": f"no route for {req.method} {req.path}"})


class Handler(BaseHTTPRequestHandler):
    # Keep-alive lets client sessions reuse connections, which matters under benchmark load.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the second waits for the
    # client's delayed ACK (~40 ms per request).
    disable_nagle_algorithm = True
    server: SandboxServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("content-length") or 0)
        req = Request(
            method=method,
            path=url.path,
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        if self.server.closing:
            # A keep-alive connection may still send a request while the server stops.
            reply = json_reply(503, {"error": "sandbox is shutting down"})
            self.close_connection = True
        else:
            reply = self._route(req, method)
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. its timeout during a slow_ms fault): nothing to answer.
            self.close_connection = True

    def _route(self, req: Request, method: str) -> Reply:
        try:
            return route(self.server.store, req)
        except Exception:  # one broken handler must not take the server down
            if self.server.closing:  # the store closed under a request in flight
                return json_reply(503, {"error": "sandbox is shutting down"})
            log.exception("sandbox handler failed: %s %s", method, self.path)
            return json_reply(500, {"error": "sandbox internal error"})

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        if self.server.verbose:
            super().log_message(format, *args)


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, host: str, port: int, state: str, seed: int, verbose: bool = False) -> None:
        self.store = Store(state, seed)
        self.verbose = verbose
        self.closing = False
        super().__init__((host, port), Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def server_close(self) -> None:
        self.closing = True
        super().server_close()
        self.store.close()


def serve_in_thread(
    host: str = "127.0.0.1", port: int = 0, *, state: str, seed: int = 42
) -> tuple[SandboxServer, threading.Thread]:
    """Start a sandbox in this process (for tests); stop with server.shutdown()."""
    server = SandboxServer(host, port, state, seed)
    thread = threading.Thread(target=server.serve_forever, name="sandbox", daemon=True)
    thread.start()
    return server, thread
