/** Outlet lists as people write them: "3", "1-4,7". */

/** Expands "1-4,7" into [1, 2, 3, 4, 7]; undefined when malformed or longer than `max`. */
export function parseOutletList(spec: string, max = 1024): number[] | undefined {
  const out: number[] = [];
  for (const part of spec.split(",")) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part.trim());
    if (!m) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to > 65535 || out.length + (to - from + 1) > max) return undefined;
    for (let i = from; i <= to; i++) out.push(i);
  }
  return out;
}
