/**
 * Simulator of the NETIO 4 KSHELL console: greeting, login, 5xx errors, `505 FORBIDDEN` before
 * login.
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

/** `netio-kshell`. */
export const NETIO_KSHELL: SimulatorKind<z.infer<typeof CREDENTIALS>> = {
  name: "netio-kshell",
  summary: "NETIO 4 KSHELL console (100 HELLO, login USER PASS, port N 1|0, 5xx errors)",
  options: CREDENTIALS,
  start(device, { options, hostname, port }) {
    return Promise.resolve(serveLines("netio-kshell", device, { hostname, port }, () => {
      let loggedIn = false;
      return {
        greeting: "100 HELLO 5C1A2F3E - KSHELL V1.5\r\n",
        async line(text) {
          const words = text.split(/\s+/);
          if (words[0] === "quit") return "110 BYE\r\n";
          if (words[0] === "login") {
            if (words.length !== 3) return "501 INVALID PARAMETR\r\n";
            loggedIn = words[1] === options.username && words[2] === options.password;
            return loggedIn ? "250 OK\r\n" : "503 INVALID LOGIN\r\n";
          }
          if (words[0] !== "port") return "502 UNKNOWN COMMAND\r\n";
          if (!loggedIn) return "505 FORBIDDEN\r\n";
          const n = Number(words[1]);
          if (!/^\d+$/.test(words[1] ?? "") || !exists(device, n)) {
            return "501 INVALID PARAMETR\r\n";
          }
          if (words.length === 2) {
            return await consoleFault(
              device,
              "550 PORT BUSY\r\n",
              () => `250 ${device.get(n) === "on" ? 1 : 0}\r\n`,
            );
          }
          if (words.length !== 3 || !["0", "1"].includes(words[2]!)) {
            return "501 INVALID PARAMETR\r\n";
          }
          return await consoleFault(device, "550 PORT BUSY\r\n", () => {
            device.set(n, words[2] === "1" ? "on" : "off");
            return "250 OK\r\n";
          });
        },
      };
    }, (p) => ({
      driver: "netio4",
      telnetport: p,
      username: options.username,
      password: options.password,
    })));
  },
};
