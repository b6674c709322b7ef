"""Who is on the other end of a request: the one client-IP rule.

Every rate limit (DRF's throttles, allauth's login limits) and every address Kaaj records
(a claim's ``client_ip``) asks ``client_ip(request)``, so a client cannot be one address to
the throttle and another to the lockout.

``X-Forwarded-For`` is written by whoever sends the request, so it proves nothing by itself.
It is read only when the peer (``REMOTE_ADDR``) is one of ``settings.TRUSTED_PROXIES`` (IP
addresses or networks; empty by default, i.e. no forwarding header is ever believed). Then
the header is walked from the right, past the trusted proxies, and the first address that is
not a trusted proxy is the client: everything to its left was written by the client and is
ignored. An entry that is not an IP address ends the walk at the last address known good.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_ip(value: str | None) -> Address | None:
    """An address from ``1.2.3.4``, ``1.2.3.4:80``, ``::1``, ``[::1]:80`` or ``fe80::1%eth0``;
    IPv4-mapped IPv6 becomes IPv4. None for anything else."""
    text = (value or "").strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]  # IPv4 with a port
    text = text.partition("%")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def parse_networks(entries: Iterable[str]) -> tuple[Network, ...]:
    """``TRUSTED_PROXIES`` as networks; raises ValueError naming a malformed entry."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as error:
            raise ValueError(f"TRUSTED_PROXIES: {entry!r} is not an IP address or network") from (
                error
            )
    return tuple(networks)


@lru_cache(maxsize=4)
def _trusted(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(entries)


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address as Kaaj believes it (see the module docstring); None when
    even the peer's address is missing or malformed."""
    peer = parse_ip(request.META.get("REMOTE_ADDR"))
    networks = _trusted(tuple(settings.TRUSTED_PROXIES))
    if peer is None or not _is_trusted(peer, networks):
        return str(peer) if peer else None
    client = peer
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        hop = parse_ip(entry)
        if hop is None:
            break
        client = hop
        if not _is_trusted(hop, networks):
            break
    return str(client)
