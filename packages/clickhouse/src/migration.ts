import type { SchemaStep } from './schemaStep.ts';

/**
 * One versioned migration of the schema (migrations.ts lists them): a list of schema steps
 * (schemaStep.ts) that renderSchemaStep turns into the statements of one server or of a cluster.
 * @example const m: Migration = { version: 28, name: 'job events outbox', steps: [] };
 */
export interface Migration {
  version: number;
  name: string;
  steps: SchemaStep[];
}
