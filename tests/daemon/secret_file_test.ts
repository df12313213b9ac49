/**
 * A PDU's password given as `password_file` end to end: read when the config is loaded, the driver
 * authenticates with it, and the content appears in no reply, no `/api/v1/pdus` output and no log
 * line; a reload reads the file again, so a changed file restarts the driver with the new value.
 */
import { join } from "node:path";
import { loadConfig } from "../../config/mod.ts";
import { assertSecretSourceEndToEnd } from "../_helpers/secret_source.ts";

const PASSWORD = "canary-file-webpw-9a41e";
const WRONG = "canary-file-wrongpw-3f6d";

Deno.test("password_file: the daemon switches a password-protected Tasmota and shows the content nowhere", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Relative, as the config file's folder takes it: loadConfig's base stands for that folder.
    // The reload reads a `\r\n`-ended file, the start a `\n`-ended one.
    let ending = "\n";
    await assertSecretSourceEndToEnd(
      {
        keys: { password_file: "plug.pw" },
        what: "file",
        async set(value) {
          await Deno.writeTextFile(join(dir, "plug.pw"), `${value}${ending}`);
          ending = "\r\n";
        },
        load: (config) => loadConfig(config, { base: dir, env: () => undefined }),
        env: () => undefined,
      },
      PASSWORD,
      WRONG,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
