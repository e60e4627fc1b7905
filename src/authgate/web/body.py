"""A request's JSON body, read as Directus reads it (Express's ``body-parser`` json, checked
against Directus 12.4.0):

* only ``application/json`` (any case, any parameters) is JSON; ``application/*+json`` and
  ``text/json`` bodies are not read as JSON (the body is empty), on every method (a ``GET`` or
  ``OPTIONS`` with a malformed JSON body is a 400, as in Directus);
* ``charset`` must start with ``utf-``: UTF-8, UTF-16 (LE, BE, or by its byte-order mark) and
  UTF-7 are decoded; anything else is ``unsupported charset "X"``;
* ``Content-Encoding`` ``gzip`` and ``deflate`` (zlib) bodies are inflated, ``identity`` is
  read as is, anything else is ``unsupported content encoding "x"``. ``MAX_PAYLOAD_SIZE``
  bounds the inflated size, and inflating stops as soon as it is passed: a small body that
  inflates to gigabytes costs at most the limit;
* a leading byte-order mark is dropped; an empty body is ``{}``; only an object or an array
  is a JSON body (anything else is refused before parsing, in V8's words).

Deliberately unlike Directus: bytes that are not valid in the declared charset are refused
(Directus turns them into U+FFFD, so two different invalid passwords would be the same
password), and so are numbers JSON cannot hold (``1e999``, which Directus reads as Infinity).
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from starlette.datastructures import Headers

from authgate.errors import invalid_payload

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]

TOO_LARGE = "request entity too large"
# iconv-lite's names (all but letters and digits dropped) of what it decodes and Python has.
_CHARSETS = {"utf8": "utf-8", "utf16": "utf-16", "utf16le": "utf-16-le", "utf16be": "utf-16-be"}
_CHARSETS["utf7"] = "utf-7"
_INFLATED = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_BOM = "\ufeff"
_LONG_NUMBER = re.compile(rb"\d{19}")  # 2**63 has 19 digits: a shorter number fits in 64 bits
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def media_type(headers: Headers) -> tuple[str, dict[str, str]]:
    """The media type (lower case) and its parameters (names in lower case, values unquoted)."""
    value = headers.get("content-type", "")
    media, *rest = value.split(";")
    params: dict[str, str] = {}
    for part in rest:
        name, sep, raw = part.partition("=")
        if sep:
            params[name.strip().lower()] = raw.strip().strip('"')
    return media.strip().lower(), params


def is_json(headers: Headers) -> bool:
    return media_type(headers)[0] == "application/json"


def has_body(headers: Headers) -> bool:
    """Whether the request says it has a body (a length, even 0, or a transfer encoding)."""
    length = headers.get("content-length")
    return "transfer-encoding" in headers or (length is not None and length.strip().isdigit())


def json_codec(headers: Headers) -> str:
    """The Python codec of the body's charset (UTF-8 when none is given)."""
    charset = media_type(headers)[1].get("charset")
    if charset is None:
        return "utf-8"
    name = "".join(c for c in charset.lower() if c.isalnum())
    codec = _CHARSETS.get(name) if charset.lower().startswith("utf-") else None
    if codec is None:
        raise invalid_payload(f'unsupported charset "{charset.upper()}"')
    return codec


def content_coding(headers: Headers) -> str:
    coding = headers.get("content-encoding", "identity").strip().lower()
    if coding != "identity" and coding not in _INFLATED:
        raise invalid_payload(f'unsupported content encoding "{coding}"')
    return coding


async def read(receive: Receive, headers: Headers, limit: int, coding: str = "identity") -> bytes:
    """The body, inflated for ``gzip``/``deflate``; at most ``limit`` bytes once inflated."""
    if coding == "identity":
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise invalid_payload(TOO_LARGE)
    inflater = _Inflater(coding) if coding != "identity" else None
    chunks: list[bytes] = []
    size = received = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        received += len(chunk)
        if received > limit:  # also bounds a compressed body that inflates to little
            raise invalid_payload(TOO_LARGE)
        if inflater is not None:
            chunk = inflater.feed(chunk, limit - size)
        size += len(chunk)
        if size > limit:
            raise invalid_payload(TOO_LARGE)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    if inflater is not None:
        inflater.finish()
    return b"".join(chunks)


class _Inflater:
    """zlib's streaming inflate, never producing more than it is allowed to."""

    def __init__(self, coding: str) -> None:
        self.wbits = _INFLATED[coding]
        self.gzip = coding == "gzip"
        self.stream = zlib.decompressobj(self.wbits)

    def feed(self, data: bytes, room: int) -> bytes:
        out = b""
        try:
            while data:
                # at most room + 1 bytes: one more than allowed says "too large"
                out += self.stream.decompress(data, room + 1 - len(out))
                if len(out) > room:
                    raise invalid_payload(TOO_LARGE)
                data = b""
                if self.stream.eof and self.gzip and self.stream.unused_data:
                    # gzip members follow one another (Node inflates them all)
                    data = self.stream.unused_data
                    self.stream = zlib.decompressobj(self.wbits)
        except zlib.error as exc:
            # zlib's own words, as Node gives them ("incorrect header check")
            raise invalid_payload(str(exc).rpartition(": ")[2][:200]) from None
        return out

    def finish(self) -> None:
        if not self.stream.eof:
            raise invalid_payload("unexpected end of file")


def parse_json(raw: bytes, codec: str) -> Any:
    """The parsed JSON body (``{}`` when empty); an object or an array, or INVALID_PAYLOAD."""
    text: bytes | str
    if codec == "utf-8":
        text = raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw
    else:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            raise invalid_payload(f"Body is not valid {codec.upper()}") from None
        text = text.removeprefix(_BOM)
    if not text:
        return {}
    violation = _strict_violation(text)
    if violation is not None:
        raise invalid_payload(violation)
    if not text.strip():
        raise invalid_payload("Unexpected end of JSON input")
    try:
        parsed = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        reason = exc.msg if "utf-8" not in exc.msg.lower() else "Body is not valid UTF-8"
        raise invalid_payload(reason[:200]) from None
    if _LONG_NUMBER.search(text if isinstance(text, bytes) else text.encode()):
        parsed = _as_doubles(parsed)
    return parsed


_JSON_SPACE = " \t\n\r"
_CONTEXT = 10  # characters V8 shows on each side of the unexpected token


def _strict_violation(text: bytes | str) -> str | None:
    """body-parser's strict mode: a body whose first non-blank character is not ``{`` or ``[``
    is refused before it is parsed, in the words V8's ``JSON.parse`` uses for an unexpected
    token at that place (the body whole up to 20 characters, else 10 on each side, counted in
    UTF-16 units as JavaScript counts). ``None`` when the body starts an object or an array,
    or is blank (then the parser says the input ended)."""
    if isinstance(text, str):
        stripped: bytes | str = text.lstrip(_JSON_SPACE)
    else:
        stripped = text.lstrip(_JSON_SPACE.encode())
    if not stripped or stripped[:1] in ("{", "[", b"{", b"["):
        return None
    body = text if isinstance(text, str) else text.decode("utf-8", errors="replace")
    start = len(body) - len(body.lstrip(_JSON_SPACE))
    units = body.encode("utf-16-le", errors="surrogatepass")
    pos = len(body[:start].encode("utf-16-le", errors="surrogatepass")) // 2
    length = len(units) // 2

    def window(first: int, last: int) -> str:
        return units[2 * first : 2 * last].decode("utf-16-le", errors="replace")

    if length <= 2 * _CONTEXT:
        shown = f'"{window(0, length)}"'
    elif pos < _CONTEXT:
        shown = f'"{window(0, pos + _CONTEXT)}"...'
    elif pos < length - _CONTEXT:
        shown = f'..."{window(pos - _CONTEXT, pos + _CONTEXT)}"...'
    else:
        shown = f'..."{window(pos - _CONTEXT, length)}"'
    return f"Unexpected token '{window(pos, pos + 1)}', {shown} is not valid JSON"


def _as_doubles(value: Any) -> Any:
    """JSON numbers are doubles in Directus (JavaScript). orjson keeps integers up to 2**64 - 1
    exact; those past a 64-bit signed integer become doubles here too, so that a validator
    sees a number it can judge instead of one no database column takes (a 500). In place,
    without recursion (the nesting is the client's)."""
    if _too_long(value):
        return float(value)
    stack = [value]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, item in list(items):
            if _too_long(item):
                node[key] = float(item)
            elif isinstance(item, dict | list):
                stack.append(item)
    return value


def _too_long(value: Any) -> bool:
    return type(value) is int and not _INT64_MIN <= value <= _INT64_MAX
