"""Which hosts Kaaj may send webhooks to: one check, used when an endpoint is registered
(:func:`webhooks.services.endpoint_url_check`) and again before every send
(:func:`webhooks.sending.post`), which then connects to exactly the address it checked.

A host is read the way the sender will read it: brackets, case and trailing dots dropped,
international names encoded as requests encodes them (IDNA, UTS 46), and numeric IPv4 forms
parsed as the operating system parses them (``2130706433``, ``0x7f000001``, ``0177.0.0.1``,
``127.1`` and ``0`` all name an address; ``getaddrinfo`` with ``AI_NUMERICHOST`` and
``inet_aton`` are asked, and every answer must be public).

An address is public when it is globally routable unicast: not loopback, private, shared
(100.64/10), link-local, site-local, unique-local, multicast, reserved, unspecified, for
documentation or benchmarking, nor any other special-purpose block IANA lists as not globally
reachable. The table below is explicit so the verdict does not change with Python's version
(``is_global`` disagrees between releases); ``is_global`` is asked as well.

Addresses that carry an IPv4 address are judged by it too: IPv4-mapped (``::ffff:0:0/96``) and
well-known NAT64 (``64:ff9b::/96``) are exactly as public as the IPv4 address inside — a DNS64
network answers IPv4-only receivers that way. IPv4-compatible (``::/96``), local NAT64
(``64:ff9b:1::/48``), 6to4 (``2002::/16``) and Teredo (``2001::/32``: server in bits 32-63,
client in the inverted last 32 bits) are refused whatever they carry: they are tunnels or
local translators, not a receiver's address.

Names: ``localhost`` and ``*.localhost`` are loopback; names under suffixes that only exist on
local networks (``.local``, ``.internal``, ``.home.arpa``, …) and single-label names (resolved
through search domains or ``/etc/hosts``) are refused without a lookup. Other names are only
looked up when sending, where every address they resolve to must be public.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket

import idna

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IANA special-purpose registries: what is not globally reachable (or is not a host).
NOT_PUBLIC_V4 = tuple(
    ipaddress.IPv4Network(net)
    for net in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata services
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
    )
)
GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")  # everything else is special
NOT_PUBLIC_V6 = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "2001::/23",  # IETF protocol assignments: Teredo, benchmarking, ORCHID, ...
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "3fff::/20",  # documentation
    )
)
TEREDO = ipaddress.IPv6Network("2001::/32")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")

# Names that only resolve on a local network (RFC 6761, 6762, 8375; ICANN's .internal; and
# the suffixes ICANN will never delegate because local networks use them).
LOOPBACK_NAMES = ("localhost",)
LOCAL_SUFFIXES = ("local", "internal", "home.arpa", "localdomain", "lan", "home", "corp")

_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
_NUMBER = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")


class AddressRefused(ValueError):
    """The host may not receive webhooks. ``code`` is ``invalid_url`` (not a host name a
    URL can carry) or ``private_address`` (not a public internet address, or it did not
    resolve); the message says which rule, for logs only (it may name an address)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def host_normalise(host: str) -> str:
    """``host`` as the sender will use it: without brackets or trailing dots, lower case,
    international names in their ASCII (IDNA) form. Raises :class:`AddressRefused`
    (``invalid_url``) for anything that is not a host name or an IP address."""
    host = host or ""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:  # only an IPv6 literal has a colon
        try:
            return str(ipaddress.IPv6Address(host)).lower()
        except ValueError as error:
            raise AddressRefused("invalid_url", f"not an IPv6 address: {host!r}") from error
    if not host.isascii():
        try:  # as requests encodes it before connecting
            host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError) as error:
            raise AddressRefused("invalid_url", f"not a valid name: {host!r}") from error
    host = host.lower().rstrip(".")
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise AddressRefused("invalid_url", f"not a valid host name: {host!r}")
    return host


def host_literal_addresses(host: str) -> list[IPAddress]:
    """The addresses a numeric ``host`` (already normalised) stands for, by every parser
    the sender's stack might use; empty for a name. No lookup is made."""
    found: set[IPAddress] = set()
    with contextlib.suppress(ValueError):
        found.add(ipaddress.ip_address(host))
    if ":" not in host:
        with contextlib.suppress(OSError):
            found.add(ipaddress.IPv4Address(socket.inet_aton(host)))
    try:
        infos = socket.getaddrinfo(
            host, None, proto=socket.IPPROTO_TCP, flags=socket.AI_NUMERICHOST
        )
    except (OSError, UnicodeError):
        infos = []
    found.update(_info_address(info) for info in infos)
    return sorted(found, key=lambda address: (address.version, int(address)))


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: IPv4-mapped, IPv4-compatible, NAT64
    (well-known and local prefixes, RFC 6052 /96 form), 6to4, and Teredo (server, client)."""
    if address.version == 4:
        return []
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address in NAT64 or address in NAT64_LOCAL or address in IPV4_COMPATIBLE:
        return [low32]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    return []


def address_is_public(address: IPAddress | str) -> bool:
    """True only for a globally routable unicast address (see the module's note); an
    address carrying an IPv4 address is judged by that address too."""
    if isinstance(address, str):
        address = ipaddress.ip_address(address)
    if address.version == 4:
        return _v4_is_public(address)
    embedded = embedded_ipv4(address)
    if not all(_v4_is_public(inner) for inner in embedded):
        return False
    if address.ipv4_mapped is not None or address in NAT64:
        return True  # a translation of the (public) IPv4 address inside
    return (
        address in GLOBAL_UNICAST_V6
        and not any(address in net for net in NOT_PUBLIC_V6)
        and address.is_global
        and not (address.is_private or address.is_reserved or address.is_site_local)
        and address.scope_id is None
    )


def _v4_is_public(address: ipaddress.IPv4Address) -> bool:
    return (
        not any(address in net for net in NOT_PUBLIC_V4)
        and address.is_global
        and not (address.is_private or address.is_reserved or address.is_multicast)
    )


def host_addresses(host: str, *, resolve: bool = True) -> list[IPAddress]:
    """The addresses Kaaj may connect to for ``host``, public every one; the sender connects
    to the first. Raises :class:`AddressRefused` when the host is not a valid name, is a
    local name, or any of its addresses is not public (or, with ``resolve``, when the name
    does not resolve). Without ``resolve`` (registration) a name is checked but not looked
    up, and the answer is empty; numeric hosts are always checked, never looked up."""
    host = host_normalise(host)
    addresses = host_literal_addresses(host)
    if not addresses:
        _name_check(host)
        if not resolve:
            return []
        addresses = _resolve(host)
    refused = [address for address in addresses if not address_is_public(address)]
    if refused:
        raise AddressRefused(
            "private_address", f"{host} is not a public address: {', '.join(map(str, refused))}"
        )
    return addresses


def _name_check(host: str) -> None:
    labels = host.split(".")
    if _NUMBER.match(labels[-1]):  # "ends in a number" but did not parse (as browsers do)
        raise AddressRefused("invalid_url", f"{host} ends in a number but is not an address")
    if host in LOOPBACK_NAMES or host.endswith(tuple(f".{name}" for name in LOOPBACK_NAMES)):
        raise AddressRefused("private_address", f"{host} is the local machine")
    if len(labels) == 1 or any(host == s or host.endswith(f".{s}") for s in LOCAL_SUFFIXES):
        raise AddressRefused("private_address", f"{host} is a local network name")


def _resolve(host: str) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:
        raise AddressRefused("private_address", f"{host} did not resolve: {error}") from error
    addresses = list(dict.fromkeys(_info_address(info) for info in infos))
    if not addresses:
        raise AddressRefused("private_address", f"{host} resolved to no address")
    return addresses


def _info_address(info) -> IPAddress:
    return ipaddress.ip_address(info[4][0])
