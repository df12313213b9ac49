/**
 * The daemon loads no simulator code: main.ts's static import graph (what `pdud` loads to run a
 * config, with or without `simulated` PDUs — the in-process `simulated` driver needs only its
 * device, `drivers/local/device.ts`) holds no module under `simulators/`. `pdud simulate`
 * reaches the simulators through main.ts's one dynamic `import("./cli/simulate.ts")`, taken only
 * for that subcommand.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

const ROOT = join(dirname(fromFileUrl(import.meta.url)), "..");

interface Dependency {
  code?: { specifier: string };
  type?: { specifier: string };
  isDynamic?: boolean;
}
interface Module {
  specifier: string;
  dependencies?: Dependency[];
}

/**
 * Every local module `entry` imports statically, relative to the repository, sorted, and the
 * local targets of dynamic imports; `all` and `allDynamic` hold every specifier (npm ones too).
 */
async function staticGraph(
  entry: string,
): Promise<{ local: string[]; dynamic: string[]; all: string[]; allDynamic: string[] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: Module[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const dynamic = new Set<string>();
  const todo = [...info.roots];
  while (todo.length > 0) {
    const specifier = todo.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      const target = dep.code?.specifier;
      if (target === undefined) continue; // type-only: erased, never loaded
      if (dep.isDynamic) dynamic.add(target);
      else todo.push(target);
    }
  }
  const local = (specifiers: Iterable<string>) =>
    [...specifiers].filter((s) => s.startsWith("file:")).map((s) => relative(ROOT, fromFileUrl(s)))
      .sort();
  return { local: local(seen), dynamic: local(dynamic), all: [...seen], allDynamic: [...dynamic] };
}

Deno.test("module graph: the daemon (main.ts, static imports) loads no simulator module", async () => {
  const { local, dynamic } = await staticGraph("main.ts");
  assert.ok(local.includes("daemon/mod.ts") && local.includes("drivers/mod.ts"), local.join(" "));
  // Before simulators/ stood apart they lived as drivers/<family>/*simulator*.ts and
  // drivers/simulator/; either way a simulator module has "simulator" in its path.
  assert.deepEqual(local.filter((path) => /simulator/.test(path)), []);
  // The way in for `pdud simulate`, loaded only when that subcommand runs.
  assert.ok(dynamic.includes("cli/simulate.ts"), dynamic.join(" "));
});

Deno.test("module graph: the daemon loads prom-client only at the first scrape (a dynamic import)", async () => {
  const { all, allDynamic } = await staticGraph("main.ts");
  assert.deepEqual(all.filter((s) => /prom-client/.test(s)), []);
  // The scrape's import is there, so the check above can see it.
  assert.ok(allDynamic.some((s) => /prom-client/.test(s)), allDynamic.join(" "));
});

Deno.test("module graph: pdud simulate's graph holds the simulators (the check above can see them)", async () => {
  const { local } = await staticGraph("cli/simulate.ts");
  assert.ok(local.includes("simulators/mod.ts"), local.join(" "));
  assert.ok(local.some((path) => path.startsWith("simulators/snmp/")), local.join(" "));
});

Deno.test("module graph: a single daemon loads no NATS module; cluster/ is reached only by dynamic import", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: Module[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [...info.roots];
  while (todo.length > 0) {
    const specifier = todo.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dep.code?.specifier && !dep.isDynamic) todo.push(dep.code.specifier);
    }
  }
  // npm specifiers resolve to npm: package ids in `deno info`; none may be a NATS package.
  const local = (s: string) => s.startsWith("file:") ? relative(ROOT, fromFileUrl(s)) : s;
  assert.deepEqual(
    [...seen].map(local).filter((s) => /nats-io/.test(s) || s.startsWith("cluster/")),
    [],
  );
  const { dynamic } = await staticGraph("main.ts");
  assert.ok(dynamic.includes("cluster/mod.ts"), dynamic.join(" "));
  // And the cluster's own graph does hold NATS, so the check above can see it.
  const cluster = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "cluster/mod.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(/@nats-io\/transport-node/.test(new TextDecoder().decode(cluster.stdout)));
});
