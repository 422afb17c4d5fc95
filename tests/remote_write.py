"""A minimal Prometheus remote-write client for tests: samples (staleness markers included) pushed
into a real Prometheus started with `--web.enable-remote-write-receiver`.

Remote write is the one way into a Prometheus that carries a staleness marker, the special NaN a
rule engine writes when a recorded series disappears: OpenMetrics backfill has no notation for it.
The protobuf (prometheus.WriteRequest) is small enough to encode by hand, and snappy's block format
accepts an all-literal block, so nothing outside the standard library is needed."""
from __future__ import annotations

import struct
import urllib.request
from typing import Iterable, Sequence

from tests.protobuf_wire import bytes_field, int_field, varint

# value.StaleNaN in prometheus/model/value: a signalling NaN no computation produces.
STALE_NAN = struct.unpack("<d", struct.pack("<Q", 0x7FF0000000000002))[0]
Labels = Sequence[tuple[str, str]]


def _sample(value: float, timestamp_ms: int) -> bytes:
    # Sample{double value = 1; int64 timestamp = 2}
    return b"\x09" + struct.pack("<d", value) + int_field(2, timestamp_ms)


def write_request(series: Iterable[tuple[Labels, Sequence[tuple[int, float]]]]) -> bytes:
    """prometheus.WriteRequest: for each series its labels (sorted by name, __name__ among them) and
    its (timestamp in ms, value) samples in time order."""
    out = bytearray()
    for labels, samples in series:
        body = b"".join(bytes_field(1, bytes_field(1, k.encode()) + bytes_field(2, v.encode())) for k, v in sorted(labels))
        body += b"".join(bytes_field(2, _sample(value, at)) for at, value in samples)
        out += bytes_field(1, body)
    return bytes(out)


def snappy_block(data: bytes) -> bytes:
    """`data` as one snappy block of literals (valid snappy, just not compressed)."""
    out = bytearray(varint(len(data)))
    for start in range(0, len(data), 1 << 16):
        chunk = data[start:start + (1 << 16)]
        size = len(chunk) - 1
        if size < 60:
            out.append(size << 2)
        else:
            width = (size.bit_length() + 7) // 8
            out.append((59 + width) << 2)
            out += size.to_bytes(width, "little")
        out += chunk
    return bytes(out)


def push(url: str, series: Iterable[tuple[Labels, Sequence[tuple[int, float]]]], timeout: float = 60) -> None:
    """POST the series to `url` (…/api/v1/write); an HTTP error raises with Prometheus' reason."""
    request = urllib.request.Request(url, data=snappy_block(write_request(series)), method="POST", headers={
        "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
        "X-Prometheus-Remote-Write-Version": "0.1.0"})
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            pass
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"remote write refused: HTTP {exc.code}: {exc.read().decode(errors='replace')}") from None
