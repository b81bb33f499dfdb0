/** Reads a V8 CPU profile: self time per function, summed over the call tree. */

/** The parts of a V8 `.cpuprofile` that we read. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
  }[];
  readonly samples?: readonly number[];
}

export interface SelfTimeRow {
  readonly name: string;
  readonly location: string;
  readonly percent: number;
}

/** The `limit` functions with the largest share of samples, by self time. */
export function topSelfTime(profile: CpuProfile, limit: number): SelfTimeRow[] {
  const byNode = new Map<number, number>();
  for (const id of profile.samples ?? []) byNode.set(id, (byNode.get(id) ?? 0) + 1);
  const total = profile.samples?.length ?? 0;
  const byFunction = new Map<string, { name: string; location: string; count: number }>();
  for (const node of profile.nodes) {
    const count = byNode.get(node.id) ?? 0;
    if (count === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^file:\/\//, "").replace(/^.*\/(packages|apps|node_modules)\//, "$1/");
    const location = url === "" ? "" : `${file}:${lineNumber + 1}`;
    const name = functionName === "" ? "(anonymous)" : functionName;
    const key = `${name}@${location}`;
    const entry = byFunction.get(key) ?? { name, location, count: 0 };
    entry.count += count;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()]
    .sort((a, b) => b.count - a.count)
    .slice(0, limit)
    .map(({ name, location, count }) => ({
      name,
      location,
      percent: total === 0 ? 0 : (100 * count) / total,
    }));
}
