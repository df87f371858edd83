from __future__ import annotations

from ecs_proxy.framing import framing_problem, raw_fields


def test_raw_fields_keep_what_a_parser_would_fold() -> None:
    head = (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\ncontent-length: 2\r\n"
        b"X-Content-Length: 9\r\nTransfer-Encoding:  chunked \r\n\r\n"
    )
    assert raw_fields(head) == [
        (b"content-length", b"2"),
        (b"content-length", b"2"),
        (b"transfer-encoding", b"chunked"),
    ]


def test_a_head_without_framing_fields_has_none() -> None:
    assert raw_fields(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n") == []


def test_clear_framing_passes() -> None:
    assert framing_problem([(b"content-length", b"12")], http10=False) is None
    assert framing_problem([(b"transfer-encoding", b"Chunked")], http10=False) is None
    assert framing_problem([], http10=True) is None


def test_each_ambiguity_has_its_status() -> None:
    length, coding = b"content-length", b"transfer-encoding"
    cases = {
        ((length, b"1"), (coding, b"chunked")): 400,
        ((length, b"1"), (length, b"1")): 400,
        ((length, b"1, 1"),): 400,
        ((length, b""),): 400,
        ((coding, b"gzip"),): 501,
        ((coding, b"chunked"), (coding, b"chunked")): 501,
    }
    for fields, status in cases.items():
        refusal = framing_problem(list(fields), http10=False)
        assert refusal is not None and refusal[0] == status, fields
    assert framing_problem([(coding, b"chunked")], http10=True) == (
        400,
        "Transfer-Encoding in an HTTP/1.0 request",
    )
