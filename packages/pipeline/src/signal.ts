// A file of its own: component.ts and componentFactories.ts both need it (no import cycle).
/** The signals a pipeline carries, as in the Collector's `service.pipelines`. */
export const signals = ['traces', 'logs', 'metrics'] as const;
export type Signal = (typeof signals)[number];
