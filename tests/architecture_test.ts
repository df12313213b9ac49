/**
 * The layering rule, enforced by reading every source file's relative imports:
 * `main.ts`/`cli/` → `daemon/` → `cluster/` → `routes/` → `actors/` → `config/` → `simulators/` → `drivers/`. A
 * file may import only its own layer or one to its right; across top-level folders only through
 * `mod.ts`; a `_private` file or folder only from within the folder that holds it. `simulators/`
 * stands apart from the daemon: only the command line (`pdud simulate`) imports it, never
 * `daemon/`, `routes/`, `actors/`, `config/` or `drivers/` — tests and benchmarks may.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = normalize(join(dirname(new URL(import.meta.url).pathname), ".."));

/** Left to right: a layer may import itself and anything after it. */
const LAYERS = [
  ["main.ts", "pduclient.ts", "cli"],
  ["daemon"],
  ["cluster"],
  ["routes"],
  ["actors"],
  [
    "config",
  ],
  ["simulators"],
  ["drivers"],
];

/** Who may import `simulators/` besides itself: the command line, for `pdud simulate`. */
const SIMULATOR_IMPORTERS = ["main.ts", "cli"];

/**
 * Edges that bypass a face on purpose, each with its reason. Kept short: an entry here is a
 * decision, not a convenience.
 */
const ALLOWED_BYPASSES = new Map<string, string>([
  [
    "cli/client.ts -> config/outlets.ts",
    "the pduclient binary parses outlet lists without loading zod and every driver schema",
  ],
]);

function topOf(path: string): string {
  return path.split("/")[0]!;
}

function layerOf(path: string): number {
  const top = topOf(path);
  return LAYERS.findIndex((layer) => layer.includes(top));
}

async function* sourceFiles(dir = ""): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory) {
      if (layerOf(path) >= 0 || dir !== "") yield* sourceFiles(path);
    } else if (entry.name.endsWith(".ts") && layerOf(path) >= 0) {
      yield path;
    }
  }
}

const IMPORT =
  /(?:^|\s)(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"|import\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g;

/** The forbidden edges of one file, each as `from -> to: why`. */
export function violations(from: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2]!;
    const to = relative(ROOT, normalize(join(ROOT, dirname(from), specifier)));
    const edge = `${from} -> ${to}`;
    if (ALLOWED_BYPASSES.has(edge)) continue;
    const fromLayer = layerOf(from);
    const toLayer = layerOf(to);
    if (toLayer < 0) {
      found.push(`${edge}: imports outside the source layers`);
    } else if (toLayer < fromLayer) {
      found.push(`${edge}: points up (layers: ${LAYERS.map((l) => l.join("|")).join(" → ")})`);
    } else if (toLayer > 0 && topOf(to) !== topOf(from) && !to.endsWith("/mod.ts")) {
      // The command line (main.ts, pduclient.ts, cli/) is one layer whose subcommands load
      // lazily, one file each, so it has no face of its own.
      found.push(`${edge}: crosses into ${topOf(to)}/ without its mod.ts`);
    }
    if (
      topOf(to) === "simulators" && topOf(from) !== "simulators" &&
      !SIMULATOR_IMPORTERS.includes(topOf(from))
    ) {
      found.push(`${edge}: only ${SIMULATOR_IMPORTERS.join(", ")} may import simulators/`);
    }
    const segments = to.split("/");
    segments.forEach((segment, i) => {
      if (!segment.startsWith("_")) return;
      const owner = segments.slice(0, i).join("/");
      if (owner !== "" && from !== owner && !from.startsWith(`${owner}/`)) {
        found.push(`${edge}: ${segment} is private to ${owner}/`);
      }
    });
  }
  return found;
}

Deno.test("architecture: no import points up, past a mod.ts or into another folder's _private", async () => {
  const found: string[] = [];
  let files = 0;
  for await (const path of sourceFiles()) {
    files++;
    found.push(...violations(path, await Deno.readTextFile(join(ROOT, path))));
  }
  assert.ok(files > 50, `only ${files} source files found under ${ROOT}`);
  assert.deepEqual(found, []);
});

Deno.test("architecture: the checker itself catches each kind of forbidden edge", () => {
  assert.match(
    violations("drivers/snmp/snmp.ts", 'import { x } from "../../actors/mod.ts";')[0]!,
    /points up/,
  );
  assert.match(
    violations("routes/app.ts", 'import { x } from "../actors/supervisor.ts";')[0]!,
    /without its mod.ts/,
  );
  assert.match(
    violations("routes/app.ts", 'import { x } from "../drivers/tcp/_session.ts";')[0]!,
    /without its mod.ts/,
  );
  assert.match(
    violations("drivers/http/a.ts", 'import { x } from "../tcp/_session.ts";')[0]!,
    /private to drivers\/tcp/,
  );
  assert.match(
    violations("actors/a.ts", 'const m = await import("../daemon/mod.ts");')[0]!,
    /points up/,
  );
  assert.match(
    violations("drivers/local/a.ts", 'import { x } from "../../simulators/mod.ts";')[0]!,
    /points up/,
  );
  assert.match(
    violations("config/a.ts", 'const m = await import("../simulators/mod.ts");')[0]!,
    /only main.ts, cli may import simulators/,
  );
  assert.match(
    violations("daemon/a.ts", 'import { x } from "../simulators/mod.ts";')[0]!,
    /only main.ts, cli may import simulators/,
  );
  assert.match(
    violations("simulators/tcp/a.ts", 'import { x } from "../../drivers/tcp/_kasa_codec.ts";')[0]!,
    /without its mod.ts/,
  );
  assert.deepEqual(
    violations("simulators/tcp/a.ts", 'import { x } from "../../drivers/tcp/mod.ts";'),
    [],
  );
  assert.deepEqual(violations("cli/simulate.ts", 'import { x } from "../simulators/mod.ts";'), []);
  assert.deepEqual(
    violations("drivers/http/a.ts", 'import { x } from "../_transport/http_client.ts";'),
    [],
  );
  assert.deepEqual(violations("daemon/daemon.ts", 'import { x } from "../routes/mod.ts";'), []);
});
