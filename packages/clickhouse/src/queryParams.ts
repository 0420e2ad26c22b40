/**
 * Query parameters collected while building a statement, named p0, p1, …: every value reaches
 * ClickHouse as a `{name:Type}` parameter, never as SQL text.
 * @example const params = new QueryParams(); const sql = `WHERE project_id = ${params.bind('String', projectId)}`;
 */
export class QueryParams {
  readonly values: Record<string, string | number> = {};
  #next = 0;

  /** A `{pN:Type}` placeholder bound to `value`. */
  bind(type: string, value: string | number | bigint): string {
    const name = `p${this.#next++}`;
    this.values[name] = typeof value === 'bigint' ? value.toString() : value;
    return `{${name}:${type}}`;
  }
}
