/**
 * The standalone binaries: `deno compile` with the tasks' own flags, then the binaries run as a
 * lab would run them. `deno compile` needs its runtime (denort): `DENORT_BIN` names a local one,
 * else Deno downloads it from dl.deno.land. Where neither works (as on a machine without internet)
 * the test is registered as ignored, with the reason in its name.
 */
import assert from "node:assert/strict";
import { ROOT, runProgram as run, spawnPdud } from "./_helpers/process.ts";

const decoder = new TextDecoder();

/** Strips colour codes, so that the reason reads the same with or without NO_COLOR. */
function plain(text: string): string {
  return text.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
}

/** Whether `deno compile` can get its runtime here, and if not, why not. */
async function compileRuntime(): Promise<string | undefined> {
  if (Deno.env.get("DENORT_BIN")) return undefined;
  const dir = await Deno.makeTempDir({ prefix: "pdud-compile-probe-" });
  try {
    await Deno.writeTextFile(`${dir}/probe.ts`, "export {};\n");
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["compile", "--quiet", "--output", `${dir}/probe`, `${dir}/probe.ts`],
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    if (output.success) return undefined;
    const lines = plain(decoder.decode(output.stderr)).split("\n").map((l) => l.trim());
    const cause = lines.find((l) => /error sending request|dns error|timed out|Connect/i.test(l)) ??
      lines.find((l) => /error/i.test(l)) ?? "deno compile failed";
    return `no denort runtime: DENORT_BIN is not set and the download failed (${
      cause.replace(/^\d+: /, "").slice(0, 300)
    })`;
  } catch (error) {
    return `no denort runtime: DENORT_BIN is not set and the download did not finish (${error})`;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The argv of a deno.json compile task, writing its binary into `dir` instead of dist/. */
async function taskArgs(task: string, dir: string): Promise<string[]> {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks as Record<
    string,
    string
  >;
  const [deno, ...args] = tasks[task]!.split(/\s+/);
  assert.equal(deno, "deno");
  return args.map((a) => a.startsWith("dist/") ? `${dir}/${a.slice("dist/".length)}` : a);
}

const missing = await compileRuntime();
const NAME = "deno task compile builds pdud and pduclient binaries that serve and switch";

Deno.test({
  name: missing ? `${NAME} (skipped: ${missing})` : NAME,
  ignore: missing !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pdud-compile-" });
    try {
      for (const task of ["compile:pdud", "compile:pduclient"]) {
        const built = await run(Deno.execPath(), await taskArgs(task, dir));
        assert.equal(built.code, 0, `${task}: ${built.stderr}`);
      }
      const help = await run(`${dir}/pdud`, ["--help"]);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /pdud — a power-control daemon/);

      await Deno.writeTextFile(
        `${dir}/pdud.yaml`,
        "daemon: {hostname: 127.0.0.1, port: 0}\npdus:\n  rack: {driver: simulated, outlets: 4}\n",
      );
      await using daemon = await spawnPdud(["--conf", `${dir}/pdud.yaml`], {
        executable: `${dir}/pdud`,
      });
      const base = `http://127.0.0.1:${daemon.port}`;
      const on = await fetch(`${base}/power/control/on?hostname=rack&port=2`);
      assert.equal(on.status, 200);
      assert.equal(await on.text(), "OK - accepted request\n");

      // The compiled pduclient over the legacy protocol, on the same (shared) port.
      const client = await run(`${dir}/pduclient`, [
        "--daemon",
        "127.0.0.1",
        "--daemon-port",
        String(daemon.port),
        "--hostname",
        "rack",
        "--port",
        "3",
        "--command",
        "on",
      ]);
      assert.equal(client.code, 0, client.stdout + client.stderr);
      assert.match(client.stdout, /Command sent successfully/);

      const outlets = await (await fetch(`${base}/api/v1/pdus/rack`)).json();
      assert.equal(outlets.outlets["2"].state, "on");
      assert.equal(outlets.outlets["3"].state, "on");
      assert.equal(outlets.outlets["1"], undefined, "outlet 1 was never switched");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
