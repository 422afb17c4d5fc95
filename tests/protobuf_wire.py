"""Protocol Buffers' wire format, the little the tests need to hand-encode a message (Jaeger's
PostSpansRequest, Prometheus' WriteRequest) without a generated client."""
from __future__ import annotations


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def bytes_field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (bytes, string, embedded message)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def int_field(number: int, value: int) -> bytes:
    """A varint field (int32/int64/uint64/bool; negative int64 as its two's complement)."""
    return varint(number << 3) + varint(value & 0xFFFFFFFFFFFFFFFF)
