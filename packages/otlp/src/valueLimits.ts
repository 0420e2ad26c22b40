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
 * Heap an OTLP/JSON body costs while it is decoded, per object or array in it: the JSON.parse
 * tree and the llmp model built from it are alive at once. Measured with Node 24 (heap used
 * after/before with --expose-gc, median of 5; figures in docs/benchmarks.md): tree + model
 * 108–276 B per container besides the body (1 M-element int array 136 B, 20 000 spans of 8
 * attributes 142 B, kvlist of 300 000 108 B, 100 000 spans without attributes 276 B, of which
 * about 2 body's worth is the strings copied out of the text). Hence 3 × body bytes (the Buffer,
 * its text, the strings taken from it) + 136 B per container, which covers every measured shape.
 */
export const jsonDecodedBytesPerContainer = 136;

/** Copies of the body alive while it is decoded: the bytes, the text and the strings cut from it. */
export const jsonDecodedBodyCopies = 3;

/**
 * What an OTLP/JSON body costs once parsed, estimated before parsing: each object and array
 * (`{`, `[` outside strings) becomes a JSON.parse object and a decoded message. A byte scan, so
 * the bound and the in-flight reservation hold before JSON.parse builds anything (issue 16,
 * item 3: a 3.3 M-element array in a 19 MB body).
 * @example jsonDecodedBytesEstimate(Buffer.from('{"resourceSpans":[]}')) // 3 * 20 + 2 * 136
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
  return jsonDecodedBodyCopies * body.byteLength + containers * jsonDecodedBytesPerContainer;
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
