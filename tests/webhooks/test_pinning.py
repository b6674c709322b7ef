"""The sender connects to the address it checked, not to whatever the name resolves to a
moment later (DNS rebinding): plain HTTP with the Host header, and HTTPS with SNI and the
certificate checked against the endpoint's name."""

import ipaddress
import shutil
import ssl
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from webhooks import sending
from webhooks.addresses import AddressRefused, host_addresses

from .helpers import serve_in_background, start_receiver

NAME = "hooks.kaaj-receiver.example"  # resolves nowhere: only the pinned address can work
LOOPBACK = ipaddress.ip_address("127.0.0.1")  # what the patched check answers


@pytest.fixture
def production(settings):
    settings.WEBHOOKS_ALLOW_HTTP, settings.DEBUG = False, False
    settings.WEBHOOKS_TIMEOUT_SECONDS = settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS = 2


def test_plain_http_goes_to_the_checked_address_with_the_name_in_host(production, monkeypatch):
    receiver, server = start_receiver()
    port = server.server_address[1]
    checked = []
    monkeypatch.setattr(sending, "host_addresses", lambda host: checked.append(host) or [LOOPBACK])
    try:
        result = sending.post(f"http://{NAME}:{port}/hooks", b"{}", {"Kaaj-Event": "ping"})
    finally:
        server.shutdown()
        server.server_close()
    assert checked == [NAME]
    assert result.ok, result.error
    [request] = receiver.requests
    assert request.headers["Host"] == f"{NAME}:{port}"


def test_https_is_pinned_and_still_checks_the_certificate_for_the_name(
    production, monkeypatch, tmp_path
):
    if not shutil.which("openssl"):
        pytest.skip("needs the openssl command to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={NAME}", "-addext", f"subjectAltName=DNS:{NAME}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    serve_in_background(server)
    port = server.server_address[1]
    monkeypatch.setattr(sending, "host_addresses", lambda host: [LOOPBACK])
    post = requests.Session.post
    monkeypatch.setattr(  # trust the test's own certificate
        requests.Session, "post", lambda self, url, **kw: post(self, url, verify=str(cert), **kw)
    )
    try:
        good = sending.post(f"https://{NAME}:{port}/hooks", b"{}", {})
        # Same server and address, another name: its certificate does not cover it.
        wrong = sending.post(f"https://other.kaaj-receiver.example:{port}/hooks", b"{}", {})
    finally:
        server.shutdown()
        server.server_close()
    assert good.ok, good.error
    assert seen == [f"{NAME}:{port}"]
    assert not wrong.ok and "certificate" in wrong.error.lower()


def test_a_name_is_refused_when_any_of_its_addresses_is_private(monkeypatch):
    import socket

    answers = []

    def resolve(host, port, family=0, type=0, proto=0, flags=0):
        if flags & socket.AI_NUMERICHOST:  # a name is not a number: no answer without DNS
            raise socket.gaierror(socket.EAI_NONAME, "not numeric")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 0)) for ip in answers]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    answers[:] = ["93.184.215.14", "10.0.0.7"]
    with pytest.raises(AddressRefused):
        host_addresses("mixed.example.com")
    answers[:] = ["93.184.215.14"]
    assert host_addresses("public.example.com") == [ipaddress.ip_address("93.184.215.14")]
    with pytest.raises(AddressRefused):
        host_addresses("localhost")
