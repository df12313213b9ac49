/**
 * `mib` + `controlpoint` names pdud's table does not carry, resolved from the MIB files the admin
 * has (`mib_dirs`, default Net-SNMP's MIBDIRS), with net-snmp's module store — as upstream
 * resolves any symbol with pysnmp, but from local files only: nothing is downloaded.
 *
 * Two steps, because config validation is synchronous until a schema asks for more: a text check
 * at load (the module's file exists in a folder, and names the symbol) gives check-config its
 * clear error; then net-snmp parses that file and every module it imports, and translates the
 * symbol to its OID.
 * @module
 */
import { join } from "node:path";
import { loadNetSnmp } from "../_libraries.ts";

/**
 * Net-SNMP's default MIBDIRS as Debian and Ubuntu build it (`snmptranslate -Dinit_mib` prints
 * it): the user's ~/.snmp/mibs, then /usr/share/snmp/mibs and its iana and ietf folders, where
 * snmp-mibs-downloader puts the IETF and IANA modules.
 */
export function defaultMibDirs(): string[] {
  let home: string | undefined;
  try {
    home = Deno.env.get("HOME");
  } catch {
    home = undefined; // no env permission: the system folders still count
  }
  return [
    ...(home ? [join(home, ".snmp", "mibs")] : []),
    "/usr/share/snmp/mibs",
    "/usr/share/snmp/mibs/iana",
    "/usr/share/snmp/mibs/ietf",
  ];
}

const DEFINITIONS = /^[ \t]*([A-Za-z][A-Za-z0-9-]*)\s+DEFINITIONS\s*::=\s*BEGIN/gm;
/** Extensions MIB files commonly carry; a file is also tried under the module's bare name. */
const EXTENSIONS = ["", ".txt", ".mib", ".my", ".MIB", ".TXT"];

/** Every readable file directly in `dirs` (folders that do not exist are skipped). */
function filesIn(dirs: readonly string[]): string[] {
  const files: string[] = [];
  for (const dir of dirs) {
    try {
      for (const entry of Deno.readDirSync(dir)) {
        if (entry.isFile || entry.isSymlink) files.push(join(dir, entry.name));
      }
    } catch {
      // A missing folder is normal (the defaults name several); nothing to add.
    }
  }
  return files;
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** The file defining MIB module `name` in `dirs`: by file name first, then by its contents. */
export function findMibFile(name: string, dirs: readonly string[]): string | undefined {
  const files = filesIn(dirs);
  const byName = new Set(EXTENSIONS.map((e) => name + e));
  const defines = (path: string) => {
    const text = readText(path);
    return text !== undefined && [...text.matchAll(DEFINITIONS)].some((m) => m[1] === name);
  };
  for (const path of files) {
    if (byName.has(path.slice(path.lastIndexOf("/") + 1)) && defines(path)) return path;
  }
  return files.find(defines);
}

/** The modules a MIB module imports from (its IMPORTS … FROM X clauses). */
function importsOf(text: string, module: string): string[] {
  const start = [...text.matchAll(DEFINITIONS)].find((m) => m[1] === module)?.index ?? 0;
  const body = text.slice(start).replace(/--[^\n]*/g, "");
  const clause = /\bIMPORTS\b([\s\S]*?);/.exec(body)?.[1] ?? "";
  return [...clause.matchAll(/\bFROM\s+([A-Za-z][A-Za-z0-9-]*)/g)].map((m) => m[1]!);
}

/**
 * Why `mib`::`symbol` cannot be resolved from `dirs`, checked on the files' text; undefined when
 * the module's file is there and defines the symbol (net-snmp then has the last word).
 */
export function mibSymbolProblem(
  mib: string,
  symbol: string,
  dirs: readonly string[],
): string | undefined {
  const file = findMibFile(mib, dirs);
  if (file === undefined) {
    return `no MIB file defining ${mib} in mib_dirs (${dirs.join(", ")})`;
  }
  const text = readText(file) ?? "";
  const defined = new RegExp(
    `(^|\\s)${
      symbol.replace(/[^A-Za-z0-9-]/g, "")
    }\\s+(OBJECT-TYPE|OBJECT\\s+IDENTIFIER|OBJECT-IDENTITY)\\b`,
  );
  if (!defined.test(text.replace(/--[^\n]*/g, ""))) return `${file} (${mib}) defines no ${symbol}`;
  return undefined;
}

const resolved = new Map<string, Promise<string>>();

/**
 * The numeric OID of `mib`::`symbol`, from the files in `dirs` and the modules they import.
 * @throws Error naming the missing module or symbol
 */
export function resolveMibSymbol(
  mib: string,
  symbol: string,
  dirs: readonly string[],
): Promise<string> {
  const key = `${dirs.join("\0")}\0${mib}\0${symbol}`;
  let oid = resolved.get(key);
  if (oid === undefined) {
    oid = resolve(mib, symbol, dirs);
    resolved.set(key, oid);
    // A failure is not kept: the admin may add the file and reload.
    oid.catch(() => resolved.delete(key));
  }
  return oid;
}

async function resolve(mib: string, symbol: string, dirs: readonly string[]): Promise<string> {
  const snmp = await loadNetSnmp();
  const store = snmp.createModuleStore();
  const loaded = new Set<string>(store.getModuleNames(true));
  const load = (module: string, chain: string[]) => {
    if (loaded.has(module)) return;
    const file = findMibFile(module, dirs);
    if (file === undefined) {
      throw new Error(
        `${chain.length > 0 ? `${chain.join(" imports ")} imports ${module}, but ` : ""}no MIB ` +
          `file defining ${module} is in mib_dirs (${dirs.join(", ")})`,
      );
    }
    for (const dependency of importsOf(readText(file) ?? "", module)) {
      load(dependency, [...chain, module]);
    }
    try {
      store.loadFromFile(file);
    } catch (error) {
      throw new Error(
        `cannot parse ${file} (${module}): ${error instanceof Error ? error.message : error}`,
      );
    }
    loaded.add(module);
  };
  load(mib, []);
  const object = (store.getModule(mib) as Record<string, { OID?: string }> | undefined)?.[symbol];
  if (object?.OID === undefined) {
    throw new Error(`MIB ${mib} (from mib_dirs) defines no object ${symbol}`);
  }
  return object.OID;
}
