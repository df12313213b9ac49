/**
 * Simulator of the Synaccess netBooter telnet console: the `login` dialogue and the `>` prompt.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { consoleFault } from "./_console.ts";
import { exists, serveLines } from "./_lines.ts";

const CREDENTIALS = z.object({
  "username": z.string().min(1).default("admin"),
  "password": z.string().default("admin"),
}).strict();

/** `synaccess-telnet`. */
export const SYNACCESS_TELNET: SimulatorKind<z.infer<typeof CREDENTIALS>> = {
  name: "synaccess-telnet",
  summary: "Synaccess netBooter NP-08B telnet console (login dialogue, pset N 1|0)",
  options: CREDENTIALS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(serveLines("synaccess-telnet", device, { hostname, port }, () => {
      let stage: "idle" | "user" | "password" | "in" = "idle";
      let user = "";
      return {
        greeting: "\r\nSynaccess Inc. Telnet Session V6.2.\r\nSystem Model: NP-08B\r\n>",
        async line(text) {
          if (stage === "user") {
            user = text;
            stage = "password";
            return "Password:";
          }
          if (stage === "password") {
            const ok = user === options.username && text === options.password;
            stage = ok ? "in" : "idle";
            return ok ? "\r\n>" : "\r\nInvalid Login.\r\n>";
          }
          if (text === "") return "\r\n>";
          if (text === "login") {
            stage = "user";
            return "\r\nUser ID: ";
          }
          if (text === "exit" || text === "logout") return "hangup";
          const m = /^pset (\d+) ([01])$/.exec(text);
          if (!m) return "\r\nInvalid command.\r\n>";
          if (stage !== "in") return "\r\nNot logged in. Access denied.\r\n>";
          const n = Number(m[1]);
          if (!exists(device, n)) return "\r\nInvalid outlet number.\r\n>";
          return await consoleFault(device, "\r\nError: outlet is locked.\r\n>", () => {
            device.set(n, m[2] === "1" ? "on" : "off");
            return "\r\n>";
          });
        },
      };
    }, (p) => ({
      driver: "synnetbooter",
      telnetport: p,
      username: options.username,
      password: options.password,
    })));
  },
};
