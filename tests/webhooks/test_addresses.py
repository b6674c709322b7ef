"""One address check for webhooks, at registration and before every send: each way of writing
a local or private address is refused (numeric IPv4 forms, trailing dots, case, IDNA, IPv6
forms that carry IPv4), public addresses pass and are connected to exactly as checked.

Nothing here leaves the machine: names resolve through a stub (numeric hosts are parsed by
the real resolver with AI_NUMERICHOST, which never looks anything up), and every outgoing
connection is caught before it is made. Only the loopback server a test starts is reached."""

import ipaddress
import socket

import pytest
import urllib3.util.connection
from django.test import override_settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.errors import DomainError
from webhooks import sending
from webhooks.addresses import address_is_public, embedded_ipv4
from webhooks.models import Delivery, Endpoint
from webhooks.services import endpoint_url_check, webhook_emit

from ..workers.test_work_pages import errors_of
from .helpers import start_receiver

PUBLIC_V4, PUBLIC_V6 = "93.184.216.34", "2606:4700::1111"

# Hosts written in a URL that all mean a local, private or otherwise non-public address.
REFUSED_HOSTS = [
    # The forms: loopback written as a number, in hex, short, as 0; LOCALHOST.
    "2130706433",
    "0x7f000001",
    "0X7F000001",
    "127.1",
    "0",
    "0177.0.0.1",
    "017700000001",
    "127.0.0.1.",
    "10.1",
    "LOCALHOST.",
    "localhost.",
    "LocalHost",
    "hooks.localhost",
    "\uff11\uff12\uff17.\uff10.\uff10.\uff11",  # fullwidth 127.0.0.1: IDNA maps it to ASCII
    # IPv6 forms carrying IPv4: mapped, compatible, NAT64, 6to4, Teredo.
    "[::ffff:127.0.0.1]",
    "[::FFFF:7f00:1]",
    "[::ffff:10.0.0.1]",
    "[::ffff:169.254.169.254]",
    "[::127.0.0.1]",
    "[::5db8:d822]",  # IPv4-compatible, even of a public address: deprecated, refused
    "[64:ff9b::7f00:1]",
    "[64:ff9b::10.0.0.1]",
    "[64:ff9b::a9fe:a9fe]",
    "[64:ff9b:1::a00:1]",
    "[64:ff9b:1::5db8:d822]",  # local-use NAT64: refused whatever it carries
    "[2002:7f00:1::1]",
    "[2002:a9fe:a9fe::]",
    "[2002:5db8:d822::1]",  # 6to4 of a public address: a tunnel, refused
    "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo, client 127.0.0.1
    "[2001:0:a00:1::5db8:d822]",  # Teredo, server 10.0.0.1
    "[2001:0:5db8:d822:0:0:a2ff:fffe]",  # Teredo, both public: still a tunnel
    # IPv4 special-purpose blocks.
    "0.0.0.0",  # noqa: S104
    "127.0.0.1",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "198.18.0.1",
    "192.0.0.170",
    "192.0.2.1",
    "198.51.100.7",
    "203.0.113.9",
    "192.88.99.1",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    # IPv6 special-purpose blocks.
    "[::]",
    "[::1]",
    "[fe80::1]",
    "[fe80::1%25eth0]",
    "[fec0::1]",
    "[fc00::1]",
    "[fd12:3456::1]",
    "[ff02::1]",
    "[2001:db8::1]",
    "[3fff::1]",
    "[100::1]",
    "[5f00::1]",
    # Names that only exist on the local network.
    "metadata.google.internal",
    "printer.local",
    "router.home.arpa",
    "intranet",
]

# Addresses a DNS answer may hold (DNS64 answers NAT64 forms): none of them may be pinned.
REFUSED_ANSWERS = [
    "127.0.0.1",
    "0.0.0.0",  # noqa: S104
    "10.0.0.7",
    "100.64.0.1",
    "169.254.169.254",
    "198.18.0.1",
    "::1",
    "::ffff:127.0.0.1",
    "::127.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::a00:1",
    "2002:7f00:1::1",
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
    "fe80::1",
    "fec0::1",
    "fd00::1",
    "2001:db8::1",
]

# Public hosts, and the address the sender must connect to for each.
PUBLIC_HOSTS = [
    (PUBLIC_V4, PUBLIC_V4),
    (f"[{PUBLIC_V6}]", PUBLIC_V6),
    (f"[::ffff:{PUBLIC_V4}]", PUBLIC_V4),
    (f"[64:ff9b::{PUBLIC_V4}]", "64:ff9b::5db8:d822"),
    ("hooks.example.com", PUBLIC_V4),
    ("HOOKS.Example.com.", PUBLIC_V4),
    ("v6.example.com", PUBLIC_V6),
    ("bücher.example", PUBLIC_V4),
]

DNS = {
    "hooks.example.com": [PUBLIC_V4],
    "v6.example.com": [PUBLIC_V6],
    "xn--bcher-kva.example": [PUBLIC_V4],
}


@pytest.fixture
def production(settings):
    settings.WEBHOOKS_ALLOW_HTTP, settings.DEBUG = False, False


@pytest.fixture
def api(api_client, employer):
    api_client.force_authenticate(user=employer)
    return api_client


@pytest.fixture
def dns(monkeypatch):
    """``dns[name] = [addresses]``: what a name resolves to. Numeric hosts are parsed by the
    real resolver (AI_NUMERICHOST: no lookup); any other name does not resolve."""
    answers = dict(DNS)
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        try:
            return real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        except (socket.gaierror, UnicodeError):
            pass
        if flags & socket.AI_NUMERICHOST or host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (address, port or 0),
            )
            for address in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def connections(monkeypatch):
    """Every connection the sender tries to open, caught (refused) before it is made."""
    tried = []

    def create_connection(address, *args, **kwargs):
        tried.append(address[:2])
        raise ConnectionRefusedError("caught by the test")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)
    return tried


def url_of(host: str) -> str:
    return f"https://{host}/hooks/kaaj"


# --- Registration ---------------------------------------------------------------------------


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_every_form_of_a_local_address_is_refused_at_registration(production, dns, host):
    with pytest.raises(DomainError) as refused:
        endpoint_url_check(url_of(host))
    assert (refused.value.code, refused.value.field) == ("private_address", "url")


@pytest.mark.django_db
@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_the_api_refuses_every_form_of_a_local_address(production, dns, api, host):
    response = api.post("/api/v1/webhook-endpoints/", {"url": url_of(host)})
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "private_address" and response.json()["detail"]
    assert not Endpoint.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_the_page_refuses_every_form_of_a_local_address_next_to_the_url(
    production, dns, client, employer, host
):
    client.force_login(employer)
    response = client.post("/webhooks/", {"url": url_of(host)})
    assert response.status_code == 400
    assert "public internet address" in errors_of(response.content.decode(), "id_url")
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize("host", ["127.0.0.1 x", "a..example.com", "999.1.1.1", "hooks.example.0x"])
def test_hosts_that_are_neither_a_name_nor_an_address_are_invalid(production, dns, host):
    with pytest.raises(DomainError) as refused:
        endpoint_url_check(url_of(host))
    assert refused.value.code == "invalid_url"


@pytest.mark.parametrize(("host", "_address"), PUBLIC_HOSTS)
def test_public_hosts_are_accepted_at_registration_without_a_lookup(
    production, dns, monkeypatch, host, _address
):
    stub, flags_seen = socket.getaddrinfo, []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        flags_seen.append(flags)
        return stub(host, port, family, type, proto, flags)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    assert endpoint_url_check(f" {url_of(host)} ") == url_of(host)
    # Numeric hosts are parsed; names are looked up when sending, not here.
    assert all(flags & socket.AI_NUMERICHOST for flags in flags_seen)


@pytest.mark.django_db
def test_the_api_accepts_a_public_ipv6_endpoint(production, dns, api):
    response = api.post("/api/v1/webhook-endpoints/", {"url": url_of(f"[{PUBLIC_V6}]")})
    assert response.status_code == 201, response.json()


def test_local_addresses_are_allowed_when_http_is(settings, dns):
    settings.WEBHOOKS_ALLOW_HTTP = True
    assert endpoint_url_check("http://127.1:8000/hook") == "http://127.1:8000/hook"
    assert endpoint_url_check("http://localhost:8000/hook") == "http://localhost:8000/hook"


# --- Sending --------------------------------------------------------------------------------


@pytest.mark.parametrize("host", REFUSED_HOSTS)
def test_every_form_of_a_local_address_is_refused_before_connecting(
    production, dns, connections, host
):
    # A local name is refused whatever it resolves to, even a public address.
    name = host.lower().rstrip(".")
    dns[name] = [PUBLIC_V4]
    result = sending.post(url_of(host), b"{}", {})
    assert result.error == sending.NOT_PUBLIC and result.status_code is None
    assert connections == []


@pytest.mark.parametrize("address", REFUSED_ANSWERS)
def test_a_name_resolving_to_a_local_address_in_any_form_is_not_sent_to(
    production, dns, connections, address
):
    dns["alone.example.com"] = [address]
    dns["mixed.example.com"] = [PUBLIC_V4, address]
    for host in ("alone.example.com", "mixed.example.com"):
        result = sending.post(url_of(host), b"{}", {})
        assert result.error == sending.NOT_PUBLIC, host
    assert connections == []


def test_a_name_that_does_not_resolve_is_not_sent_to(production, dns, connections):
    result = sending.post(url_of("gone.example.com"), b"{}", {})
    assert result.error == sending.NOT_PUBLIC and connections == []


@pytest.mark.parametrize(("host", "address"), PUBLIC_HOSTS)
def test_public_hosts_are_connected_to_at_the_checked_address(
    production, dns, connections, host, address
):
    result = sending.post(url_of(host), b"{}", {})
    assert connections == [(address, 443)]
    assert result.error.startswith("Could not connect")


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["2130706433", "[64:ff9b::7f00:1]", "LOCALHOST."])
def test_an_endpoint_saved_before_the_check_is_refused_at_send(
    production, dns, connections, employer, django_capture_on_commit_callbacks, host
):
    Endpoint.objects.create(employer=employer, url=url_of(host))  # as an older Kaaj saved it
    with django_capture_on_commit_callbacks(execute=False):
        webhook_emit(employer=employer, event="campaign.completed", data={})
    delivery = sending.delivery_send(delivery_id=Delivery.objects.get().pk)
    assert (delivery.attempts, delivery.last_status_code) == (1, None)
    assert delivery.last_error == sending.NOT_PUBLIC and connections == []


def test_an_international_name_is_pinned_too(production, dns, monkeypatch):
    """The check and the connection agree on the IDNA form of the name: the request goes to
    the checked address, never to a second lookup (which the stub would refuse)."""
    receiver, server = start_receiver()
    port = server.server_address[1]
    checked = []
    monkeypatch.setattr(
        sending,
        "host_addresses",
        lambda host: checked.append(host) or [ipaddress.ip_address("127.0.0.1")],
        raising=False,
    )
    try:
        result = sending.post(f"http://bücher.kaaj-receiver.example:{port}/hooks", b"{}", {})
    finally:
        server.shutdown()
        server.server_close()
    assert result.ok, result.error
    assert checked == ["bücher.kaaj-receiver.example"]
    [request] = receiver.requests
    assert request.headers["Host"] == f"xn--bcher-kva.kaaj-receiver.example:{port}"


def test_the_pinned_adapter_refuses_any_other_host(connections):
    import requests

    with requests.Session() as session:
        session.mount("https://", sending.PinnedAdapter("hooks.example.com", PUBLIC_V4))
        with pytest.raises(requests.exceptions.InvalidURL):
            session.post("https://other.example.com/hooks", data=b"{}")
    assert connections == []


# --- The check itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "inside"),
    [
        ("::ffff:127.0.0.1", ["127.0.0.1"]),
        ("::127.0.0.1", ["127.0.0.1"]),
        ("64:ff9b::a9fe:a9fe", ["169.254.169.254"]),
        ("64:ff9b:1::a00:1", ["10.0.0.1"]),
        ("2002:7f00:1::1", ["127.0.0.1"]),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", ["65.54.227.120", "127.0.0.1"]),
        (PUBLIC_V6, []),
        (PUBLIC_V4, []),
    ],
)
def test_embedded_ipv4_addresses_are_unwrapped(address, inside):
    found = embedded_ipv4(ipaddress.ip_address(address))
    assert [str(a) for a in found] == inside


@pytest.mark.parametrize(
    ("address", "public"),
    [
        (PUBLIC_V4, True),
        (PUBLIC_V6, True),
        (f"::ffff:{PUBLIC_V4}", True),
        ("64:ff9b::5db8:d822", True),
        ("1.1.1.1", True),
        *[(answer, False) for answer in REFUSED_ANSWERS],
    ],
)
def test_address_is_public(address, public):
    assert address_is_public(address) is public


@hypothesis_settings(max_examples=300, deadline=None)
@given(host=st.text(max_size=80) | st.from_regex(r"\A[0-9a-fxA-FX.:\[\]%]{0,40}\Z"))
def test_any_host_is_either_accepted_or_refused_with_a_code(host):
    with override_settings(WEBHOOKS_ALLOW_HTTP=False, DEBUG=False):
        try:
            endpoint_url_check(f"https://{host}/hooks")
        except DomainError as refused:
            assert refused.code in {"invalid_url", "https_required", "private_address"}
