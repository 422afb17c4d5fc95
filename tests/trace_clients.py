"""Send one span the way clients that do not speak OTLP do, with nothing but the standard library and
grpcio: Zipkin v2 JSON over HTTP (Envoy's Zipkin tracer), Jaeger Thrift (binary protocol) over HTTP
(Jaeger SDKs' HTTP sender), Jaeger api_v2 protobuf over gRPC (Jaeger agents and gRPC senders); the
messages are encoded by hand from the published IDLs (jaeger.thrift, model.proto). And read a trace
back from Jaeger's query API."""
from __future__ import annotations

import json
import struct
import time
import urllib.error
import urllib.request
from typing import Any, Mapping

from tests.protobuf_wire import bytes_field, int_field

# ---- Zipkin v2 JSON -------------------------------------------------------------------------------


def send_zipkin(host: str, port: int, trace_id: str, span_id: str, service: str, name: str,
                tags: Mapping[str, str]) -> int:
    """POST one span to /api/v2/spans; returns the HTTP status."""
    span = {"traceId": trace_id, "id": span_id, "name": name, "kind": "SERVER",
            "timestamp": int(time.time() * 1e6), "duration": 1500,
            "localEndpoint": {"serviceName": service}, "tags": dict(tags)}
    request = urllib.request.Request(f"http://{host}:{port}/api/v2/spans", data=json.dumps([span]).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


# ---- Jaeger Thrift, binary protocol ---------------------------------------------------------------

_STRING, _I32, _I64, _STRUCT, _LIST = 11, 8, 10, 12, 15


def _field(kind: int, number: int, payload: bytes) -> bytes:
    return struct.pack(">bh", kind, number) + payload


def _string(value: str) -> bytes:
    data = value.encode()
    return struct.pack(">i", len(data)) + data


def _struct(*fields: bytes) -> bytes:
    return b"".join(fields) + b"\x00"


def _list(kind: int, items: list[bytes]) -> bytes:
    return struct.pack(">bi", kind, len(items)) + b"".join(items)


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _thrift_tags(tags: Mapping[str, str]) -> bytes:
    # Tag {1: key, 2: vType (STRING = 0), 3: vStr}
    return _list(_STRUCT, [_struct(_field(_STRING, 1, _string(k)), _field(_I32, 2, struct.pack(">i", 0)),
                                   _field(_STRING, 3, _string(v))) for k, v in tags.items()])


def jaeger_thrift_batch(trace_id: str, span_id: str, service: str, name: str, tags: Mapping[str, str]) -> bytes:
    """A jaeger.thrift Batch {1: Process, 2: list<Span>} with one span."""
    high, low = int(trace_id[:16], 16), int(trace_id[16:], 16)
    span = _struct(
        _field(_I64, 1, struct.pack(">q", _signed(low))), _field(_I64, 2, struct.pack(">q", _signed(high))),
        _field(_I64, 3, struct.pack(">q", _signed(int(span_id, 16)))), _field(_I64, 4, struct.pack(">q", 0)),
        _field(_STRING, 5, _string(name)), _field(_I32, 7, struct.pack(">i", 1)),
        _field(_I64, 8, struct.pack(">q", int(time.time() * 1e6))), _field(_I64, 9, struct.pack(">q", 1500)),
        _field(_LIST, 10, _thrift_tags(tags)))
    process = _struct(_field(_STRING, 1, _string(service)))
    return _struct(_field(_STRUCT, 1, process), _field(_LIST, 2, _list(_STRUCT, [span])))


def send_jaeger_thrift(host: str, port: int, batch: bytes) -> int:
    """POST a Thrift batch to /api/traces (what jaeger-client's HTTP sender does); the HTTP status."""
    request = urllib.request.Request(f"http://{host}:{port}/api/traces", data=batch,
                                     headers={"Content-Type": "application/x-thrift"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


# ---- Jaeger api_v2 protobuf over gRPC -------------------------------------------------------------


def jaeger_post_spans(trace_id: str, span_id: str, service: str, name: str, tags: Mapping[str, str]) -> bytes:
    """A jaeger.api_v2.PostSpansRequest {1: Batch {1: spans, 2: Process}} with one span."""
    now = time.time()
    key_values = [bytes_field(1, k.encode()) + bytes_field(3, v.encode()) for k, v in tags.items()]  # v_type STRING
    span = (bytes_field(1, bytes.fromhex(trace_id)) + bytes_field(2, bytes.fromhex(span_id))
            + bytes_field(3, name.encode()) + int_field(5, 1)
            + bytes_field(6, int_field(1, int(now)) + int_field(2, int(now % 1 * 1e9)))
            + bytes_field(7, int_field(2, 1_500_000))
            + b"".join(bytes_field(8, kv) for kv in key_values))
    batch = bytes_field(1, span) + bytes_field(2, bytes_field(1, service.encode()))
    return bytes_field(1, batch)


def send_jaeger_grpc(host: str, port: int, request: bytes) -> None:
    """CollectorService/PostSpans with raw bytes (no generated stubs needed)."""
    import grpc
    with grpc.insecure_channel(f"{host}:{port}") as channel:
        post = channel.unary_unary("/jaeger.api_v2.CollectorService/PostSpans",
                                   request_serializer=lambda b: b, response_deserializer=lambda b: b)
        post(request, timeout=10)


# ---- Jaeger query API -----------------------------------------------------------------------------


def jaeger_trace(host: str, port: int, trace_id: str) -> list[dict[str, Any]]:
    """The spans of one trace from Jaeger's query service, each with its `tags` as a dict and its
    process's `service`; [] while Jaeger does not have it."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/api/traces/{trace_id}", timeout=5) as response:
            data = json.load(response).get("data") or []
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise
    spans = []
    for trace in data:
        for span in trace.get("spans", []):
            process = trace.get("processes", {}).get(span.get("processID"), {})
            spans.append({"name": span["operationName"], "service": process.get("serviceName"),
                          "tags": {t["key"]: t["value"] for t in span.get("tags", [])},
                          "process_tags": {t["key"]: t["value"] for t in process.get("tags", [])}})
    return spans
