/**
 * Bounds on what one OTLP request may hold once decoded, the same for OTLP/protobuf and
 * OTLP/JSON: a request past one is refused whole (400 / INVALID_ARGUMENT) before it is decoded
 * into objects or meets another sender's spans.
 */
export interface ValueLimits {
  /** Arrays and kvlists nested in an attribute value (`[[x]]` is 2). */
  maxValueDepth: number;
  /** Attributes of one span, resource, scope, event or link. */
  maxAttributes: number;
  /** Elements of one AnyValue array or kvlist. */
  maxValueElements: number;
  /** Estimated memory of the request once decoded (`decodedBytesEstimate`). */
  maxDecodedBytes: number;
}

/**
 * Heap bytes one decoded protobuf message (a span, attribute, value …) costs, besides its wire
 * bytes: measured 70–80 B with protobufjs and the llmp model (1 M array elements: 72 MB; 20 000
 * spans of 20 attributes: 70 MB).
 */
export const decodedBytesPerMessage = 80;

/**
 * What a request of `wireBytes` holding `messages` protobuf messages costs once decoded.
 * @example decodedBytesEstimate(body.byteLength, 1_000_000) // ≈ 84 MB
 */
export function decodedBytesEstimate(wireBytes: number, messages: number): number {
  return wireBytes + messages * decodedBytesPerMessage;
}

/**
 * Heap bytes one JSON object or array of an OTLP/JSON body costs while it is decoded: JSON.parse's
 * tree is alive while the model is built from it, so both count (besides the body's text). Heap
 * deltas with `--expose-gc` (jsonDecodedBytes.test.ts measures it on every run): text + tree +
 * model = body bytes + 109 B per container for 20 000 spans of 4 attributes, + 82 B for 2 000
 * spans of 60; the decoded model alone is 56–84 B, which is why 80 B (the protobuf figure)
 * counted 1.5–2× too little. 128 B leaves ~15 % of room on the worst measured shape.
 */
export const jsonDecodedBytesPerContainer = 128;

/**
 * What an OTLP/JSON body costs once parsed, estimated before parsing: each object and array
 * (`{`, `[` outside strings) costs `jsonDecodedBytesPerContainer`, plus the text. A byte scan, so
 * the bound and the in-flight reservation hold before JSON.parse builds anything (issue 16,
 * item 3: a 3.3 M-element array in a 19 MB body).
 * @example jsonDecodedBytesEstimate(Buffer.from('{"resourceSpans":[]}')) // 20 + 2 * 128
 */
export function jsonDecodedBytesEstimate(body: Uint8Array): number {
  let containers = 0;
  let inString = false;
  for (let i = 0, end = body.length; i < end; i++) {
    const byte = body[i]!;
    if (inString) {
      // A backslash escapes the next byte (\\" is not a string's end).
      if (byte === 0x5c) i++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) containers++;
  }
  return body.byteLength + containers * jsonDecodedBytesPerContainer;
}

/**
 * No bound: what the pipeline uses past the receiver, where the receiver's bounds were applied.
 * Nesting still stops at the protobuf decoders' message depth (100 messages, about 30 kvlists).
 */
export const unboundedValues: ValueLimits = {
  maxValueDepth: Number.POSITIVE_INFINITY,
  maxAttributes: Number.POSITIVE_INFINITY,
  maxValueElements: Number.POSITIVE_INFINITY,
  maxDecodedBytes: Number.POSITIVE_INFINITY,
};

/**
 * The receiver's defaults: above the OpenTelemetry SDK span limits (128 attributes) with room
 * for conventions that flatten messages into attributes, far below what costs memory.
 */
export const defaultValueLimits: ValueLimits = {
  maxValueDepth: 16,
  maxAttributes: 1024,
  maxValueElements: 10_000,
  maxDecodedBytes: 192 * 1024 ** 2,
};
