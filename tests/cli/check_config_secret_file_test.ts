/** `pdud check-config` reports a PDU's unusable `<secret>_file` key as loading would. */
import assert from "node:assert/strict";
import { runPdud } from "../_helpers/process.ts";

Deno.test("pdud check-config names a missing secret file and a key given twice, never a content, exit 3", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/other.pw`, "canary-file-content-e19b\n");
    await Deno.writeTextFile(`${dir}/good.pw`, "canary-file-content-77c0\n");
    const file = `${dir}/pdud.yaml`;
    await Deno.writeTextFile(
      file,
      [
        "pdus:",
        "  plug:",
        "    driver: tasmota",
        "    ip: 10.0.0.9",
        "    password_file: secrets/plug.pw",
        "  other:",
        "    driver: tasmota",
        "    ip: 10.0.0.8",
        "    password: canary-written-0d3c",
        "    password_file: other.pw",
        "  good:",
        "    driver: tasmota",
        "    ip: 10.0.0.7",
        "    password_file: good.pw",
        "",
      ].join("\n"),
    );
    const result = await runPdud(["check-config", file]);
    assert.equal(result.code, 3, result.stderr);
    const text = result.stdout + result.stderr;
    // Relative to the config file's folder, named in full.
    assert.ok(
      text.includes(
        `pdus.plug.password_file (line 5): cannot read ${dir}/secrets/plug.pw: ` +
          "No such file or directory (password_file reads password from it)",
      ),
      text,
    );
    assert.match(
      text,
      /pdus\.other\.password_file \(line 10\): give either password or password_file/,
    );
    assert.ok(!/pdus\.good/.test(text), text);
    for (
      const secret of [
        "canary-written-0d3c",
        "canary-file-content-e19b",
        "canary-file-content-77c0",
      ]
    ) {
      assert.ok(!text.includes(secret), text);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
