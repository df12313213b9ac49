/** `pdud check-config` reports a PDU's unusable `<secret>_env` key as loading would. */
import assert from "node:assert/strict";
import { runPdud } from "../_helpers/process.ts";

Deno.test("pdud check-config names an unset variable and a key given twice, never a value, exit 3", async () => {
  const dir = await Deno.makeTempDir();
  // Inherited by the pdud process.
  Deno.env.set("PDUD_TEST_CHECK_CONFIG_SET", "canary-env-value-c4d2");
  try {
    const file = `${dir}/pdud.yaml`;
    await Deno.writeTextFile(
      file,
      [
        "pdus:",
        "  plug:",
        "    driver: tasmota",
        "    ip: 10.0.0.9",
        "    password_env: PDUD_TEST_CHECK_CONFIG_NEVER_SET",
        "  other:",
        "    driver: tasmota",
        "    ip: 10.0.0.8",
        "    password: canary-written-5a1e",
        "    password_env: PDUD_TEST_CHECK_CONFIG_SET",
        "",
      ].join("\n"),
    );
    const result = await runPdud(["check-config", file]);
    assert.equal(result.code, 3, result.stderr);
    const text = result.stdout + result.stderr;
    assert.match(
      text,
      /pdus\.plug\.password_env \(line 5\): environment variable PDUD_TEST_CHECK_CONFIG_NEVER_SET is not set/,
    );
    assert.match(
      text,
      /pdus\.other\.password_env \(line 10\): give either password or password_env/,
    );
    assert.ok(!text.includes("canary-written-5a1e"), text);
    assert.ok(!text.includes("canary-env-value-c4d2"), text);
  } finally {
    Deno.env.delete("PDUD_TEST_CHECK_CONFIG_SET");
    await Deno.remove(dir, { recursive: true });
  }
});
