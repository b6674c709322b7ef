"""A real HTTP receiver on 127.0.0.1 for the webhook tests, and small builders."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from webhooks.models import Endpoint


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the server answers (``statuses`` in turn, then ``status``) and what it got."""

    url: str = ""
    status: int = 200
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    body: bytes = b'{"ok": true}'
    location: str = ""
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else self.status


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            if receiver.delay:
                time.sleep(receiver.delay)
            status = receiver.next_status()
            self.send_response(status)
            if receiver.location:
                self.send_header("Location", receiver.location)
            self.send_header("Content-Length", str(len(receiver.body)))
            self.end_headers()
            self.wfile.write(receiver.body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/kaaj"
    serve_in_background(server)
    return receiver, server


def serve_in_background(server: ThreadingHTTPServer) -> None:
    """Serve on a daemon thread that notices ``shutdown()`` within 10 ms (the default poll
    of half a second made every test with a receiver wait that long at its end)."""
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()


def closed_port_url() -> str:
    """A local URL nobody listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


def endpoint_for(user, url: str = "https://hooks.example.com/kaaj", **fields) -> Endpoint:
    return Endpoint.objects.create(employer=user, url=url, **fields)
