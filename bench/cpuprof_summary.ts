/**
 * Summarizes a V8 .cpuprofile (from `deno run --cpu-prof`, e.g. `deno task bench:compare
 * --profile DIR`): self time per function and per source file, heaviest first.
 *
 *   deno run --allow-read bench/cpuprof_summary.ts FILE.cpuprofile [--top 25] [--last MS]
 *
 * `--last MS` keeps only the final MS of the profile (a daemon's profile ends when the bench
 * stops it, right after the workload).
 * @module
 */
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/**
 * Self time in ms per key, from a profile's samples; only samples taken `fromUs` microseconds
 * or more after the profile's start count.
 */
export function selfTimes(
  profile: Profile,
  key: (node: ProfileNode) => string,
  fromUs = 0,
): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  let at = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs) return;
    const node = byId.get(id);
    if (!node) return;
    const k = key(node);
    totals.set(k, (totals.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return totals;
}

function shortUrl(url: string): string {
  if (url === "") return "(native/V8)";
  const npm = /\/npm\/[^/]+\/([^/]+(?:\/[^/]+)?)\/(.*)$/.exec(url);
  if (npm) return `npm:${npm[1]}/${npm[2]}`;
  if (url.startsWith("ext:")) return url;
  const local = /\/work\/[^/]+\/(.*)$/.exec(url) ?? /file:\/\/.*?\/([^/]+\/[^/]+)$/.exec(url);
  return local ? local[1]! : url;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { top: { type: "string", default: "25" }, last: { type: "string" } },
    allowPositionals: true,
  });
  const profile = JSON.parse(await Deno.readTextFile(positionals[0]!)) as Profile;
  const top = Number(values.top);
  const wallUs = profile.endTime - profile.startTime;
  const fromUs = values.last ? Math.max(0, wallUs - Number(values.last) * 1000) : 0;
  const wall = (wallUs - fromUs) / 1000;
  const out = (s: string) => Deno.stdout.writeSync(new TextEncoder().encode(s + "\n"));
  const print = (title: string, totals: Map<string, number>) => {
    const sum = [...totals.values()].reduce((a, b) => a + b, 0);
    out(`\n${title} (sampled ${sum.toFixed(0)} ms of ${wall.toFixed(0)} ms wall)`);
    for (const [k, ms] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      out(`${ms.toFixed(1).padStart(9)} ms ${(100 * ms / sum).toFixed(1).padStart(5)}%  ${k}`);
    }
  };
  print(
    "self time by function",
    selfTimes(
      profile,
      (n) =>
        `${n.callFrame.functionName || "(anonymous)"}  ${shortUrl(n.callFrame.url)}:${
          n.callFrame.lineNumber + 1
        }`,
      fromUs,
    ),
  );
  print("self time by file", selfTimes(profile, (n) => shortUrl(n.callFrame.url), fromUs));
}
