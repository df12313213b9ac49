/**
 * Debian's real Redfish clients, python3-sushy and redfishtool, accept pdud's Redfish simulator
 * (simulators/bmc/redfish.ts): they power a system on and off and read it back over http and https,
 * with basic and session auth. Skipped, saying why, when they are not installed. (In the interop
 * tier: each run starts a Python interpreter, too slow for test:fast.)
 */
import assert from "node:assert/strict";
import { fixture, startRedfish as start, TLS } from "../_helpers/redfish.ts";

const PYTHON = "/usr/bin/python3";
const SUSHY_MISSING = await (async () => {
  try {
    const probe = await new Deno.Command(PYTHON, { args: ["-c", "import sushy"], stdin: "null" })
      .output();
    return probe.success ? undefined : "python3-sushy is not installed";
  } catch {
    return `${PYTHON} is not installed`;
  }
})();
const REDFISHTOOL_MISSING = await (async () => {
  try {
    await new Deno.Command("redfishtool", { args: ["-V"], stdin: "null" }).output();
    return undefined;
  } catch {
    return "redfishtool is not installed";
  }
})();

async function run(
  executable: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string }> {
  // A clean environment: requests lets REQUESTS_CA_BUNDLE override the certificate it is given.
  const output = await new Deno.Command(executable, {
    args,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
    clearEnv: true,
    stdin: "null",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    out: `${decoder.decode(output.stdout)}${decoder.decode(output.stderr)}`,
  };
}

for (const tls of [false, true]) {
  const scheme = tls ? "https" : "http";
  for (const auth of ["session", "basic"]) {
    Deno.test({
      name: `python3-sushy powers a system on and off over ${scheme} (${auth} auth)${
        SUSHY_MISSING ? ` (skipped: ${SUSHY_MISSING})` : ""
      }`,
      ignore: SUSHY_MISSING !== undefined,
      async fn() {
        await using sim = await start({}, { ...(tls ? TLS : {}), "watts_on": 175 });
        const root = `${scheme}://127.0.0.1:${sim.address.port}/redfish/v1`;
        const env = {
          REDFISH_PASSWORD: "redfish-password",
          ...(tls ? { REDFISH_CA: TLS.cert_file } : {}),
        };
        const script = fixture("redfish_sushy.py");
        const on = await run(PYTHON, [script, root, "admin", auth, "On"], env);
        assert.equal(on.code, 0, on.out);
        assert.match(on.out, /^before Off\nafter On\nwatts 175\n/);
        assert.equal(sim.device.get(1), "on");
        const off = await run(PYTHON, [script, root, "admin", auth, "ForceOff"], env);
        assert.equal(off.code, 0, off.out);
        assert.match(off.out, /^before On\nafter Off\nwatts 9\n/);
        assert.equal(sim.device.get(1), "off");
        assert.equal(sim.sessions.created, auth === "session" ? 2 : 0);
        const wrong = await run(PYTHON, [script, root, "admin", auth, "On"], {
          ...env,
          REDFISH_PASSWORD: "wrong",
        });
        assert.notEqual(wrong.code, 0);
        assert.match(wrong.out, /401|AccessError|credentials/i);
        assert.equal(sim.device.get(1), "off");
      },
    });
  }
}

for (const tls of [false, true]) {
  Deno.test({
    name: `redfishtool resets a system and reads it back over ${
      tls ? "https" : "http"
    }, basic and session auth${REDFISHTOOL_MISSING ? ` (skipped: ${REDFISHTOOL_MISSING})` : ""}`,
    ignore: REDFISHTOOL_MISSING !== undefined,
    async fn() {
      await using sim = await start({}, tls ? TLS : {});
      const common = [
        "-r",
        `127.0.0.1:${sim.address.port}`,
        "-u",
        "admin",
        "-p",
        "redfish-password",
        "-S",
        tls ? "Always" : "Never",
      ];
      const tool = (...args: string[]) => run("redfishtool", [...common, ...args]);
      const on = await tool("Systems", "-1", "reset", "On");
      assert.equal(on.code, 0, on.out);
      assert.equal(sim.device.get(1), "on");
      const get = await tool("-A", "Session", "Systems", "-1", "-P", "PowerState");
      assert.equal(get.code, 0, get.out);
      assert.match(get.out, /"PowerState": "On"/);
      const off = await tool("-A", "Session", "Systems", "-1", "reset", "ForceOff");
      assert.equal(off.code, 0, off.out);
      assert.equal(sim.device.get(1), "off");
      assert.equal(sim.sessions.created, 2);
      const bad = await tool("Systems", "-1", "reset", "Bogus");
      assert.notEqual(bad.code, 0, bad.out);
      const wrong = await run("redfishtool", [
        ...common.slice(0, 5),
        "wrong",
        ...common.slice(6),
        "Systems",
        "-1",
        "reset",
        "On",
      ]);
      assert.notEqual(wrong.code, 0, wrong.out);
      const power = await tool("Chassis", "-1", "Power");
      assert.equal(power.code, 0, power.out);
      assert.match(power.out, /"PowerConsumedWatts": 9/);
      assert.equal(sim.device.get(1), "off");
    },
  });
}
