/**
 * The filter bar of a page of groups: what to group by and the time window, both kept in the
 * URL (`go` navigates with the one that changed).
 * @example <GroupAndRangeFilters label="By" by={by} groups={['model', 'provider']} range={range} ranges={['1h', '24h']} go={go} />
 */
export function GroupAndRangeFilters({
  label,
  by,
  groups,
  range,
  ranges,
  go,
}: {
  label: string;
  by: string;
  groups: readonly string[];
  range: string;
  ranges: readonly string[];
  go: (change: Record<string, string>) => void;
}) {
  return (
    <form class="filters" onSubmit={(e) => e.preventDefault()}>
      <label>
        {label}
        <select name="by" value={by} onChange={(e) => go({ by: e.currentTarget.value })}>
          {groups.map((g) => (
            <option value={g}>{g}</option>
          ))}
        </select>
      </label>
      <label>
        Time
        <select name="range" value={range} onChange={(e) => go({ range: e.currentTarget.value })}>
          {ranges.map((r) => (
            <option value={r}>last {r}</option>
          ))}
        </select>
      </label>
    </form>
  );
}
