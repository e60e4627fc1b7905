"""The client's IP address (Express ``trust proxy`` rules) and ``ip_access`` matching."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAMED_SUBNETS = {
    "loopback": ("127.0.0.1/8", "::1/128"),
    "linklocal": ("169.254.0.0/16", "fe80::/10"),
    "uniquelocal": ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"),
}


def parse_ip(text: str | None) -> IPAddress | None:
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted_networks(
    entries: Sequence[str],
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for entry in entries:
        for item in _NAMED_SUBNETS.get(entry.strip().lower(), (entry.strip(),)):
            try:
                networks.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                continue
    return networks


def client_ip(
    socket_ip: str | None,
    forwarded_for: str | None,
    *,
    trust_proxy: bool | int | Sequence[str],
    custom_header_value: str | None = None,
) -> str | None:
    """The requester's address as Directus (Express) determines it, ``::ffff:`` stripped."""
    if custom_header_value is not None:
        custom = parse_ip(custom_header_value)
        if custom is not None:
            return str(custom)
    chain = [socket_ip or ""]
    if forwarded_for and trust_proxy is not False:
        chain += [part.strip() for part in reversed(forwarded_for.split(","))]
    if isinstance(trust_proxy, bool):
        chosen = chain[-1] if trust_proxy else chain[0]
    elif isinstance(trust_proxy, int):
        chosen = chain[min(trust_proxy, len(chain) - 1)]
    else:
        networks = _trusted_networks(trust_proxy)
        chosen = chain[-1]
        for hop in chain[:-1]:
            address = parse_ip(hop)
            if address is None or not any(address in net for net in networks):
                chosen = hop
                break
    address = parse_ip(chosen)
    return str(address) if address is not None else None


def is_valid_ip_access_entry(entry: str) -> bool:
    """An IP, a CIDR block or an ``a-b`` range; masks like ``10.0.0.*`` are refused."""
    entry = entry.strip()
    if "-" in entry:
        start, _, end = entry.partition("-")
        low, high = parse_ip(start), parse_ip(end)
        return (
            low is not None and high is not None and low.version == high.version and low <= high  # type: ignore[operator]
        )
    _, slash, prefix = entry.partition("/")
    if slash and not prefix.isdigit():
        return False  # "10.0.0.0/255.0.0.0": mask notation is refused, as in Directus
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False
    return True


def ip_in_list(ip: str, entries: Sequence[str]) -> bool:
    address = parse_ip(ip)
    if address is None:
        return False
    for entry in entries:
        entry = entry.strip()
        if "-" in entry:
            start, _, end = entry.partition("-")
            low, high = parse_ip(start), parse_ip(end)
            if (
                low is not None
                and high is not None
                and low.version == address.version == high.version
                and low <= address <= high  # type: ignore[operator]
            ):
                return True
            continue
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False
