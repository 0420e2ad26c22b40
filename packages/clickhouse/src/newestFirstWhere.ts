/**
 * The WHERE terms and query parameters of a newest-first read of one project's rows whose
 * `timeColumn` is in [fromNs, toNs), `limit + 1` at most (one more than a page, to know whether
 * another follows). `equal` adds a term per filter value given; `continueAfter` the keyset term that
 * continues past a page's last row, ordered by (time, row key) descending.
 * @example const { where, params, equal } = newestFirstWhere('Timestamp', projectId, filter, 50); equal('TraceId', 'traceId', traceId);
 */
export function newestFirstWhere(
  timeColumn: string,
  projectId: string,
  { fromNs, toNs }: { fromNs: bigint; toNs: bigint },
  limit: number,
) {
  const where = [
    'project_id = {projectId:String}',
    `${timeColumn} >= fromUnixTimestamp64Nano({fromNs:Int64})`,
    `${timeColumn} < fromUnixTimestamp64Nano({toNs:Int64})`,
  ];
  const params: Record<string, unknown> = {
    projectId,
    fromNs: fromNs.toString(),
    toNs: toNs.toString(),
    limit: limit + 1,
  };
  return {
    where,
    params,
    /** `column = {name:String}`, when there is a value. */
    equal(column: string, name: string, value: string | undefined): void {
      if (value === undefined) return;
      where.push(`${column} = {${name}:String}`);
      params[name] = value;
    },
    /** Only rows after `position` (a row's time in Unix ns and its `rowKey`), when there is one. */
    continueAfter(rowKey: string, position: readonly [timeNs: string, rowKey: string] | undefined): void {
      if (!position) return;
      where.push(`(toUnixTimestamp64Nano(${timeColumn}), ${rowKey}) < ({afterNs:Int64}, {afterKey:UInt64})`);
      params.afterNs = position[0];
      params.afterKey = position[1];
    },
  };
}
