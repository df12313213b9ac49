/**
 * The README and docs/ stay usable and the project stays whole: every relative link and anchor
 * resolves, every test file docs/testing.md names exists, the README stays short, and no file
 * reads or links outside the repository.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";

const ROOT = normalize(join(dirname(new URL(import.meta.url).pathname), ".."));
const SKIP_DIRS = new Set([".git", "node_modules", "dist"]);
const TEXT = /\.(ts|md|json|ya?ml|sh|service|rules|txt|conf)$|^Dockerfile$|^run$/;

async function* files(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory && !SKIP_DIRS.has(entry.name)) yield* files(path);
    else if (entry.isFile) yield path;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) found.add(slug(m[1]!));
  return found;
}

async function markdownFiles(): Promise<string[]> {
  const list = [join(ROOT, "README.md"), join(ROOT, "tests/_fixtures/README.md")];
  for await (const entry of Deno.readDir(join(ROOT, "docs"))) {
    if (entry.name.endsWith(".md")) list.push(join(ROOT, "docs", entry.name));
  }
  return list;
}

Deno.test("docs: every relative link and anchor in the README and docs/ resolves", async () => {
  const broken: string[] = [];
  for (const file of await markdownFiles()) {
    const text = await Deno.readTextFile(file);
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1]!;
      if (/^[a-z]+:/.test(link)) continue;
      const [path = "", anchor] = link.split("#");
      const target = path === "" ? file : normalize(join(dirname(file), path));
      const where = `${relative(ROOT, file)}: ${link}`;
      if (!target.startsWith(ROOT + "/") || !(await exists(target))) {
        broken.push(`${where} (no such file in the repository)`);
      } else if (anchor && target.endsWith(".md")) {
        if (!anchors(await Deno.readTextFile(target)).has(anchor)) {
          broken.push(`${where} (no such heading)`);
        }
      }
    }
  }
  assert.deepEqual(broken, []);
});

Deno.test("docs: every test file docs/testing.md names exists", async () => {
  const text = await Deno.readTextFile(join(ROOT, "docs/testing.md"));
  const names = [...text.matchAll(/`([\w./*-]+\.ts)`/g)].map((m) => m[1]!);
  assert.ok(names.length > 20, "testing.md names its tests");
  const missing: string[] = [];
  for (const name of new Set(names)) {
    if (name.includes("*")) {
      const [dir, pattern] = [dirname(name), name.split("/").pop()!];
      const re = new RegExp(`^${pattern.replace(/\./g, "\\.").replace(/\*/g, ".*")}$`);
      let found = false;
      for await (const entry of Deno.readDir(join(ROOT, "tests", dir))) {
        if (re.test(entry.name)) found = true;
      }
      if (!found) missing.push(name);
    } else if (!(await exists(join(ROOT, "tests", name)))) missing.push(name);
  }
  assert.deepEqual(missing, []);
});

Deno.test("docs: the README stays short, with no line over 200 characters", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  assert.ok(readme.length <= 20_000, `README.md has ${readme.length} characters`);
  const long = readme.split("\n").map((line, i) => [i + 1, line.length]).filter(([, n]) =>
    n! > 200
  );
  assert.deepEqual(long, []);
});

Deno.test("nothing in the repository reads or links outside it", async () => {
  const outside = [".", ".", "/shared"].join("");
  const found: string[] = [];
  for await (const path of files(ROOT)) {
    const name = path.split("/").pop()!;
    if (!TEXT.test(name)) continue;
    const text = await Deno.readTextFile(path);
    if (text.includes(outside)) found.push(relative(ROOT, path));
  }
  assert.deepEqual(found, []);
});
