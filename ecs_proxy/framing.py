"""Which requests have ambiguous framing (RFC 9112 section 6), refused before their body.

Behind a load balancer, a request whose end two parsers could place differently is
how a request gets smuggled: the front sends what it takes for one request's body and
the server reads a second request out of it (or the reverse), and answers it to the
next client on that connection. The server answers such a request with an error and
closes the connection (RFC 9112 6.1, 6.3): nothing after it on that connection is read.
"""

from __future__ import annotations

from collections.abc import Iterable

_LENGTH = b"content-length"
_CODING = b"transfer-encoding"


def raw_fields(head: bytes) -> list[tuple[bytes, bytes]]:
    """The framing fields of a request head as sent, before a parser folds them: h11
    merges repeated equal Content-Length fields and `Content-Length: 2, 2` into one."""
    lowered = head.lower()
    if _LENGTH not in lowered and _CODING not in lowered:
        return []
    fields = []
    for line in lowered.split(b"\n")[1:]:
        if line.startswith((_LENGTH, _CODING)):
            name, _, value = line.partition(b":")
            fields.append((name.strip(), value.strip()))
    return fields


def framing_problem(fields: Iterable[tuple[bytes, bytes]], http10: bool) -> tuple[int, str] | None:
    """The status and message to refuse a request with, or None if its framing is clear.

    `fields` are the request's (name, value) pairs, names in lower case; only
    Content-Length and Transfer-Encoding matter.
    """
    lengths = [value for name, value in fields if name == _LENGTH]
    codings = [value for name, value in fields if name == _CODING]
    if lengths and codings:
        return 400, "both Content-Length and Transfer-Encoding: send one"
    if len(lengths) > 1:
        return 400, "more than one Content-Length"
    if lengths and not lengths[0].isdigit():
        return 400, "invalid Content-Length"
    if codings and http10:
        # RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
        return 400, "Transfer-Encoding in an HTTP/1.0 request"
    if codings and (len(codings) > 1 or codings[0].strip().lower() != b"chunked"):
        # RFC 9112 6.1: 501 for a transfer coding the server does not understand.
        return 501, "unsupported Transfer-Encoding: send chunked or Content-Length"
    return None
