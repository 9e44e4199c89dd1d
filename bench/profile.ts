/** Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) into the top self-time functions. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface HotFunction {
  readonly name: string;
  /** file:line, relative to the repository where it is inside it. */
  readonly where: string;
  readonly selfMs: number;
  /** Of the busy time (idle and "(program)" left out). */
  readonly percent: number;
}

export function newestProfile(dir: string): string | undefined {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  const last = files[files.length - 1];
  return last === undefined ? undefined : join(dir, last);
}

/** Self time by function (summed over identical name and location), largest first. */
export function topSelfTime(file: string, root: string, limit = 20): HotFunction[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // timeDeltas[i] is the time before sample i; the sample stands for the time until the next one.
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i];
    const next = deltas[i + 1] ?? 0;
    if (id !== undefined) selfUs.set(id, (selfUs.get(id) ?? 0) + next);
  }
  // Shares are of the time the process was busy: it idles while the other servers of a round
  // robin are measured, and while it starts.
  let total = 0;
  for (const [id, us] of selfUs) {
    const name = byId.get(id)?.callFrame.functionName;
    if (name !== '(idle)' && name !== '(program)') total += us;
  }
  const grouped = new Map<string, { name: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const path = url.startsWith('file://') ? relative(root, url.slice('file://'.length)) : url;
    const where = path === '' ? '' : `${path}:${lineNumber + 1}`;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const key = `${name}\0${where}`;
    const entry = grouped.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    grouped.set(key, entry);
  }
  return [...grouped.values()]
    .filter((e) => e.name !== '(idle)' && e.name !== '(program)')
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((e) => ({
      name: e.name,
      where: e.where,
      selfMs: e.us / 1000,
      percent: total > 0 ? (100 * e.us) / total : 0,
    }));
}
