import type { SpanScreening, WireScreening } from '@llmp/otlp';

/**
 * The bytes a screened request will cost once decoded, beyond the body the in-flight bound
 * already holds for it: what a transport reserves (`ticket.grow`) before handing the request on,
 * so the bound covers decoding downstream, not only the bodies (issue 16, item 3). OTLP/JSON
 * reserved its decoded size before it was parsed (decodeJsonRequest's `reserve`) and adds nothing more.
 * @example if (!ticket.grow(decodedCost(screening))) return overloaded();
 */
export function decodedCost(screening: WireScreening | SpanScreening): number {
  return 'decodedBytes' in screening ? screening.decodedBytes - screening.accepted.source.byteLength : 0;
}
