"""netaddr.py: the client IP under Express ``trust proxy`` rules, and ``ip_access`` lists."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from authgate.netaddr import client_ip, ip_in_list, is_valid_ip_access_entry

SOCKET = "10.0.0.1"
CHAIN = "1.1.1.1, 2.2.2.2, 3.3.3.3"  # client, proxy A, proxy B (B talked to us)


class TestClientIpTrustProxy:
    def test_without_trust_the_socket_address_is_used(self) -> None:
        assert client_ip(SOCKET, CHAIN, trust_proxy=False) == SOCKET

    def test_full_trust_takes_the_left_most_forwarded_address(self) -> None:
        assert client_ip(SOCKET, CHAIN, trust_proxy=True) == "1.1.1.1"

    def test_full_trust_without_a_forwarded_header_uses_the_socket(self) -> None:
        assert client_ip(SOCKET, None, trust_proxy=True) == SOCKET

    @pytest.mark.parametrize(
        ("hops", "expected"),
        [(0, SOCKET), (1, "3.3.3.3"), (2, "2.2.2.2"), (3, "1.1.1.1"), (10, "1.1.1.1")],
    )
    def test_a_hop_count_trusts_that_many_proxies_from_the_right(
        self, hops: int, expected: str
    ) -> None:
        assert client_ip(SOCKET, CHAIN, trust_proxy=hops) == expected

    def test_a_subnet_list_skips_trusted_proxies_only(self) -> None:
        chain = "1.1.1.1, 10.20.0.7"

        ip = client_ip("127.0.0.1", chain, trust_proxy=("loopback", "10.0.0.0/8"))

        assert ip == "1.1.1.1"

    def test_a_subnet_list_stops_at_the_first_untrusted_hop(self) -> None:
        chain = "1.1.1.1, 6.6.6.6, 10.20.0.7"

        ip = client_ip("127.0.0.1", chain, trust_proxy=("loopback", "10.0.0.0/8"))

        assert ip == "6.6.6.6"

    def test_an_untrusted_socket_ignores_the_forwarded_header(self) -> None:
        ip = client_ip("203.0.113.9", "1.1.1.1", trust_proxy=("loopback",))

        assert ip == "203.0.113.9"

    def test_loopback_covers_ipv6_too(self) -> None:
        assert client_ip("::1", "198.51.100.4", trust_proxy=("loopback",)) == "198.51.100.4"

    def test_single_addresses_may_be_listed(self) -> None:
        ip = client_ip("192.0.2.10", "198.51.100.4", trust_proxy=("192.0.2.10",))

        assert ip == "198.51.100.4"

    def test_every_trusted_hop_falls_back_to_the_left_most_address(self) -> None:
        ip = client_ip("127.0.0.1", "10.0.0.3, 10.0.0.2", trust_proxy=("loopback", "10.0.0.0/8"))

        assert ip == "10.0.0.3"

    def test_an_ipv4_mapped_socket_address_is_stripped(self) -> None:
        assert client_ip("::ffff:192.0.2.1", None, trust_proxy=False) == "192.0.2.1"

    def test_an_ipv4_mapped_forwarded_address_is_stripped(self) -> None:
        assert client_ip(SOCKET, "::ffff:198.51.100.7", trust_proxy=True) == "198.51.100.7"

    def test_an_ipv4_mapped_socket_is_matched_against_ipv4_subnets(self) -> None:
        ip = client_ip("::ffff:127.0.0.1", "198.51.100.4", trust_proxy=("loopback",))

        assert ip == "198.51.100.4"

    def test_an_unknown_socket_gives_none(self) -> None:
        assert client_ip(None, None, trust_proxy=False) is None

    def test_a_forwarded_value_that_is_not_an_ip_gives_none(self) -> None:
        assert client_ip(SOCKET, "unknown", trust_proxy=True) is None


class TestClientIpCustomHeader:
    def test_a_single_valid_ip_in_the_custom_header_wins(self) -> None:
        ip = client_ip(SOCKET, CHAIN, trust_proxy=True, custom_header_value="192.0.2.44")

        assert ip == "192.0.2.44"

    def test_an_ipv6_custom_header_is_accepted(self) -> None:
        ip = client_ip(SOCKET, None, trust_proxy=False, custom_header_value="2001:db8::7")

        assert ip == "2001:db8::7"

    def test_a_mapped_custom_header_is_stripped(self) -> None:
        ip = client_ip(SOCKET, None, trust_proxy=False, custom_header_value="::ffff:192.0.2.5")

        assert ip == "192.0.2.5"

    @pytest.mark.parametrize(
        "value", ["", "1.1.1.1, 2.2.2.2", "not-an-ip", "999.1.1.1", "1.1.1.1:8080", "[::1]"]
    )
    def test_anything_but_a_single_ip_is_ignored(self, value: str) -> None:
        ip = client_ip(SOCKET, CHAIN, trust_proxy=2, custom_header_value=value)

        assert ip == "2.2.2.2"


class TestIpInList:
    @pytest.mark.parametrize(
        ("ip", "entries"),
        [
            ("192.0.2.1", ["192.0.2.1"]),
            ("10.1.2.3", ["10.0.0.0/8"]),
            ("10.0.0.1", ["10.0.0.1-10.0.0.9"]),
            ("10.0.0.9", ["10.0.0.1-10.0.0.9"]),
            ("10.0.0.5", ["10.0.0.1-10.0.0.9"]),
            ("2001:db8::1", ["2001:db8::/32"]),
            ("::1", ["::1"]),
            ("2001:db8::80", ["2001:db8::1-2001:db8::ff"]),
            ("::ffff:10.0.0.1", ["10.0.0.0/8"]),
            ("192.0.2.1", [" 192.0.2.1 "]),
            ("10.9.9.9", ["10.0.0.*", "10.0.0.0/8"]),
            ("10.0.0.5", ["10.0.0.5/8"]),
        ],
    )
    def test_inside(self, ip: str, entries: list[str]) -> None:
        assert ip_in_list(ip, entries) is True

    @pytest.mark.parametrize(
        ("ip", "entries"),
        [
            ("192.0.2.2", ["192.0.2.1"]),
            ("11.0.0.1", ["10.0.0.0/8"]),
            ("10.0.0.10", ["10.0.0.1-10.0.0.9"]),
            ("10.0.0.0", ["10.0.0.1-10.0.0.9"]),
            ("2001:db9::1", ["2001:db8::/32"]),
            ("10.0.0.1", ["::/0"]),
            ("::1", ["0.0.0.0/0"]),
            ("10.0.0.1", ["10.0.0.*"]),
            ("10.0.0.1", []),
            ("not-an-ip", ["0.0.0.0/0"]),
            ("", ["0.0.0.0/0"]),
        ],
    )
    def test_outside(self, ip: str, entries: list[str]) -> None:
        assert ip_in_list(ip, entries) is False

    @given(
        low=st.integers(0, 2**32 - 1), high=st.integers(0, 2**32 - 1), ip=st.integers(0, 2**32 - 1)
    )
    def test_an_ipv4_range_holds_exactly_the_addresses_between_its_bounds(
        self, low: int, high: int, ip: int
    ) -> None:
        entry = f"{ipaddress.IPv4Address(low)}-{ipaddress.IPv4Address(high)}"

        inside = ip_in_list(str(ipaddress.IPv4Address(ip)), [entry])

        assert inside is (low <= ip <= high)


class TestIsValidIpAccessEntry:
    @pytest.mark.parametrize(
        "entry",
        [
            "10.0.0.1",
            "10.0.0.0/8",
            "10.0.0.1-10.0.0.9",
            "::1",
            "2001:db8::/32",
            "2001:db8::1-2001:db8::ff",
            "10.0.0.5/8",
        ],
    )
    def test_ips_cidr_blocks_and_ranges_are_valid(self, entry: str) -> None:
        assert is_valid_ip_access_entry(entry) is True

    @pytest.mark.parametrize(
        "entry",
        [
            "10.0.0.*",
            "*",
            "",
            "abc",
            "10.0.0.0/33",
            "10.0.0.1/8/8",
            "10.0.0.1-",
            "-10.0.0.1",
            "10.0.0.1-::1",
            "10.0.0.1-10.0.0.2-10.0.0.3",
        ],
    )
    def test_wildcards_and_malformed_entries_are_refused(self, entry: str) -> None:
        assert is_valid_ip_access_entry(entry) is False

    @pytest.mark.parametrize("entry", ["10.0.0.0/255.0.0.0", "192.168.1.0/255.255.255.0"])
    def test_ip_mask_notation_is_refused(self, entry: str) -> None:
        """Spec (directus-access 2.3): an "IP mask" form is refused like a wildcard."""
        assert is_valid_ip_access_entry(entry) is False

    def test_a_range_whose_bounds_are_reversed_is_refused(self) -> None:
        """Directus's ``isIpAccessValid`` refuses ``max < min``; such a range matches nothing."""
        assert is_valid_ip_access_entry("10.0.0.9-10.0.0.1") is False
