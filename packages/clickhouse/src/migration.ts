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
  /**
   * `embedded`: its steps run on the embedded store alone; elsewhere it renders no statement
   * and its version is recorded all the same, so every store's version reads alike.
   */
  only?: 'embedded';
}
