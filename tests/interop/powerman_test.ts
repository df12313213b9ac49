/**
 * PowerMan (Debian's powerman) drives the APC console simulators with its own APC device
 * scripts (/etc/powerman/apc*.dev): `powermand` runs on a config in a temp dir, listening on
 * loopback, with one device on the simulator; `pm` switches an outlet and reads the plugs, and
 * the simulated outlet must follow. The script/model pairs are the firmware each script names.
 */
import assert from "node:assert/strict";
import type { Simulator } from "../../simulators/mod.ts";
import { startSimulator } from "../_helpers/conformance.ts";
import { run, skipUnless } from "./_tools.ts";

const SKIP = skipUnless(["powermand", "pm"], "powerman");

/** Where Debian's powerman package puts its device scripts. */
const SCRIPTS = "/etc/powerman";

interface Pairing {
  /** The script (and its specification's name). */
  script: string;
  /** The simulator's model, and outlets (24 for the scripts written for 24-outlet PDUs). */
  model: string;
  outlets: number;
  /** Whether the script has a status_all that reads the menus pdud simulates. */
  query: boolean;
}

const PAIRINGS: Pairing[] = [
  // AP7900, APP v2.7.3 / AOS v2.7.0: Device Manager item 3 is Outlet Control/Configuration.
  { script: "apc7900", model: "apc7900", outlets: 8, query: true },
  // AP7920 on APP v3.3.3 / AOS v3.3.4, which draws the AOS v3 (Outlet Management) menus that
  // pdud's apc7921/apc7932/apc7952 models have; pdud's apc7920 is that PDU on AOS v2.
  { script: "apc7920", model: "apc7921", outlets: 8, query: false },
  { script: "apc7920", model: "apc7932", outlets: 8, query: false },
  // 24-outlet Switched Rack PDUs (AP7930/AP7932/AP795x): the outlet list pages after 22.
  { script: "apcpdu", model: "apc7900", outlets: 24, query: true },
  { script: "apcpdu3", model: "apc7952", outlets: 24, query: true },
  // MasterSwitch with the AP9606 card: the Device Manager lists the outlets.
  { script: "apcnew", model: "apc9606", outlets: 8, query: true },
  { script: "apcnew", model: "ap9606", outlets: 8, query: true },
  // The AP9210's v1 firmware ("Outlet Manager", "successfully!").
  { script: "apcold", model: "apc9210", outlets: 8, query: true },
];

function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** powermand on a temp config naming the simulator as device "pdu", nodes n1..n8. */
async function startPowermand(sim: Simulator, script: string) {
  const dir = await Deno.makeTempDir({ prefix: "pdud-powerman-" });
  const port = freeTcpPort();
  await Deno.writeTextFile(
    `${dir}/powerman.conf`,
    `include "${SCRIPTS}/${script}.dev"\n` +
      `listen "127.0.0.1:${port}"\n` +
      `device "pdu" "${script}" "127.0.0.1:${sim.address.port}"\n` +
      `node "n[1-8]" "pdu" "[1-8]"\n`,
  );
  // -d: its debug output says when it listens ("client: listening on 1 sockets").
  const child = new Deno.Command("powermand", {
    args: ["-f", "-d", "0xffff", "-c", `${dir}/powerman.conf`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let log = "";
  let listening!: () => void;
  const ready = new Promise<void>((resolve) => listening = resolve);
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      log += chunk;
      if (/client: listening on/.test(log)) listening();
    }
  })();
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await reading;
    await Deno.remove(dir, { recursive: true });
  };
  const timer = AbortSignal.timeout(10_000);
  const gaveUp = new Promise<never>((_, reject) =>
    timer.addEventListener("abort", () => reject(new Error(`powermand did not listen: ${log}`)))
  );
  try {
    await Promise.race([
      ready,
      gaveUp,
      child.status.then(() => {
        throw new Error(`powermand exited: ${log}`);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    log: () => log,
    pm: (...args: string[]) => run("pm", ["-h", `127.0.0.1:${port}`, ...args], { limitMs: 30_000 }),
    [Symbol.asyncDispose]: stop,
  };
}

for (const { script, model, outlets, query } of PAIRINGS) {
  Deno.test({
    name: `PowerMan's ${script}.dev switches outlet 3 of the apc-telnet ${model} simulator ` +
      `(${outlets} outlets) with pm${SKIP}`,
    ignore: SKIP !== "",
    async fn() {
      await using sim = await startSimulator("apc-telnet", { outlets }, { model });
      await using powerman = await startPowermand(sim, script);
      const on = await powerman.pm("--on", "n3");
      assert.equal(on.code, 0, `${on.out}\n${powerman.log()}`);
      assert.match(on.out, /Command completed successfully/);
      assert.equal(sim.device.get(3), "on");
      if (query) {
        const q = await powerman.pm("-q");
        assert.equal(q.code, 0, q.out);
        assert.match(q.out, /^on:\s+n3$/m, q.out);
        assert.match(q.out, /^off:\s+n\[1-2,4-8\]$/m, q.out);
      }
      const off = await powerman.pm("--off", "n3");
      assert.equal(off.code, 0, `${off.out}\n${powerman.log()}`);
      assert.equal(sim.device.get(3), "off");
      assert.deepEqual(sim.device.history, [[3, "on"], [3, "off"]], "no other outlet switched");
    },
  });
}
