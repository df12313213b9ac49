/**
 * Upstream's own integration test (share/pdudaemon-test.sh), replayed against pdud processes
 * with upstream's config file: HTTP reboot, HTTP alias reboot, a group request, pduclient over
 * the legacy TCP listener, drive mode by hostname and by alias. The lines the localcmdline PDUs
 * append must equal upstream's expected_output.txt byte for byte.
 */
import assert from "node:assert/strict";
import { ROOT, runPdud, spawnPdud } from "../_helpers/process.ts";

const FIXTURES = new URL("../_fixtures/", import.meta.url);

async function fixtureConfig(outputFile: string): Promise<string> {
  const text = await Deno.readTextFile(new URL("upstream-pdudaemon.conf", FIXTURES));
  const config = JSON.parse(text.replaceAll("/tmp/pdu", outputFile));
  // Loopback and a free port instead of 0.0.0.0:16421; everything else stays upstream's.
  config.daemon.hostname = "127.0.0.1";
  config.daemon.port = 0;
  return JSON.stringify(config, null, 2);
}

Deno.test("upstream's integration scenario gives upstream's expected output", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pdud-upstream-" });
  try {
    const output = `${dir}/pdu`;
    const conf = `${dir}/pdudaemon.conf`;
    await Deno.writeTextFile(conf, await fixtureConfig(output));
    const expected = await Deno.readTextFile(new URL("upstream-expected_output.txt", FIXTURES));

    // The fixture says listener "http", as upstream's first daemon runs.
    {
      await using pdud = await spawnPdud(["--loglevel=DEBUG", `--conf=${conf}`]);
      const base = `http://127.0.0.1:${pdud.port}/power/control`;
      const reboot = await fetch(`${base}/reboot?hostname=http&port=2&delay=1`);
      assert.equal(reboot.status, 200);
      assert.equal(await reboot.text(), "OK - accepted request\n");
      const alias = await fetch(`${base}/reboot?alias=aliastesthttp01&delay=5`);
      assert.equal(alias.status, 200);
      assert.equal(await alias.text(), "OK - accepted request\n");
      // The fixture defines no groups: refused with a reason, nothing switched.
      const group = await fetch(`${base}/reboot?group=testgroup&delay=1`);
      assert.notEqual(group.status, 200);
      await group.body?.cancel();
      assert.equal((await pdud.stop()).code, 0);
    }
    {
      await using pdud = await spawnPdud([
        "--loglevel=DEBUG",
        "--listener",
        "tcp",
        `--conf=${conf}`,
      ]);
      const client = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-net",
          `${ROOT}pduclient.ts`,
          "--daemon",
          "127.0.0.1",
          "--daemon-port",
          String(pdud.port),
          "--hostname",
          "tcp",
          "--port",
          "3",
          "--command",
          "reboot",
          "--delay",
          "1",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(client.code, 0, new TextDecoder().decode(client.stderr));
      // The legacy protocol acks once the job has run (as upstream 0.0.8.58 does); SIGTERM never
      // leaves a reboot half done either way.
      assert.equal((await pdud.stop()).code, 0);
    }
    const byHostname = await runPdud([
      "--loglevel=DEBUG",
      `--conf=${conf}`,
      "--drive",
      "--hostname",
      "drive",
      "--port",
      "4",
      "--request",
      "reboot",
      "--delay",
      "0",
    ]);
    assert.equal(byHostname.code, 0, byHostname.stderr);
    const byAlias = await runPdud([
      "--loglevel=DEBUG",
      `--conf=${conf}`,
      "--drive",
      "--alias",
      "aliastestdrive02",
      "--request",
      "reboot",
      "--delay",
      "0",
    ]);
    assert.equal(byAlias.code, 0, byAlias.stderr);

    assert.equal(await Deno.readTextFile(output), expected);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
