"""Google's protobuf parser (upb, through the `protobuf` package) as a peer that is not ours.

Reads one hex-encoded OTLP ExportTraceServiceRequest per stdin line and writes one JSON line
per input: {"ok": false} when Google refuses the bytes, else the spans it decoded.
"""
import json
import sys

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

for line in sys.stdin:
    try:
        request = trace_service_pb2.ExportTraceServiceRequest.FromString(bytes.fromhex(line.strip()))
    except Exception:
        print(json.dumps({"ok": False}))
        continue
    spans = [
        [
            span.trace_id.hex(),
            span.span_id.hex(),
            span.name,
            span.kind,
            [kv.key for kv in span.attributes],
            len(span.events),
            span.status.code,
        ]
        for rs in request.resource_spans
        for ss in rs.scope_spans
        for span in ss.spans
    ]
    print(json.dumps({"ok": True, "spans": spans}))
