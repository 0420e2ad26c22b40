/**
 * Settings for a read of `spans FINAL`. FINAL collapses rows of one sort key; the key holds the
 * second of a span's start, so the copies of a span share its day, its partition: merging
 * within partitions gives the same rows, skips merging a partition that is one part (a merged
 * day), and lets the time range skip the other days' parts (without it FINAL merges every part
 * of the table at read time).
 * @example await store.client.query({ query: `SELECT … FROM llmp.spans FINAL …`, clickhouse_settings: { ...searchSettings, ...spansFinalSettings } });
 */
export const spansFinalSettings = { do_not_merge_across_partitions_select_final: 1 } as const;
