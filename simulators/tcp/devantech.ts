/**
 * Simulators of the Devantech boards in devantech.ts.
 *
 * `devantech-eth` frames by TCP packet, as the boards do ("all bytes in a command must be sent in
 * one TCP/IP packet"): a packet that is not a whole command is ignored, as are unknown command
 * bytes. With a password set, switching before `0x79 PASSWORD` answers 1, and each connection is
 * unlocked on its own. Relays beyond the device's outlets and pulsed switching answer 1.
 *
 * `devantech-ds` reads CR/LF-terminated ASCII lines: `SR N on|off` → `Ok`, `GR N` →
 * `Active|Inactive`, `ST` → a status line; anything else → `Invalid command`.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { writeLatin1 } from "../_transport/tcp_server.ts";
import { DS_MODELS, ETH, ETH_MODELS } from "../../drivers/tcp/mod.ts";
import { deviceFault, type FaultReply, tcpSimulator, writeBytes } from "./_simulator.ts";

const ETH_OPTIONS = z.object({
  "model": z.enum(Object.keys(ETH_MODELS) as [string, ...string[]]).default("eth008"),
  "password": z.string().optional(),
}).strict();

const DS_OPTIONS = z.object({
  "model": z.enum(Object.keys(DS_MODELS) as [string, ...string[]]).default("ds2824"),
}).strict();

/** `devantech-eth`. */
export const DEVANTECH_ETH: SimulatorKind<z.infer<typeof ETH_OPTIONS>> = {
  name: "devantech-eth",
  summary: "Devantech ETH002/0621/484/008/8020 binary TCP protocol (0x20/0x21/0x24, 0x79 password)",
  options: ETH_OPTIONS,
  start(device, { options, hostname, port }) {
    const model = ETH_MODELS[options.model]!;
    const password = options.password ? new TextEncoder().encode(options.password) : undefined;
    const handle = async (conn: Deno.TcpConn) => {
      let unlocked = password === undefined;
      const buffer = new Uint8Array(512);
      for (;;) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) return;
        const packet = buffer.slice(0, n);
        const command = packet[0]!;
        device.record(`< ${[...packet].map((b) => b.toString(16).padStart(2, "0")).join(" ")}`);
        if (command === ETH.password && packet.length > 1) {
          const given = packet.subarray(1);
          const ok = password === undefined ||
            (given.length === password.length && given.every((b, i) => b === password[i]));
          if (ok) unlocked = true;
          await writeBytes(conn, Uint8Array.of(ok ? 1 : 2));
        } else if (command === ETH.logout && packet.length === 1) {
          unlocked = password === undefined;
          await writeBytes(conn, Uint8Array.of(0));
        } else if (command === ETH.unlockTime && packet.length === 1) {
          await writeBytes(conn, Uint8Array.of(password === undefined ? 255 : unlocked ? 30 : 0));
        } else if (command === ETH.getOutputs && packet.length === 1) {
          const reply = await deviceFault(device, () => {
            const bits = new Uint8Array(model.outputBytes);
            for (let relay = 1; relay <= Math.min(model.relays, device.count); relay++) {
              if (device.has(relay) && device.get(relay) === "on") {
                bits[Math.floor((relay - 1) / 8)]! |= 1 << ((relay - 1) % 8);
              }
            }
            return bits;
          }, () => null);
          if (reply === "hangup") return;
          if (reply !== "hang") await writeBytes(conn, reply);
        } else if (
          (command === ETH.active || command === ETH.inactive) && packet.length === 3
        ) {
          const relay = packet[1]!, pulse = packet[2]!;
          if (!unlocked || relay < 1 || relay > model.relays || !device.has(relay) || pulse) {
            await writeBytes(conn, Uint8Array.of(1));
            continue;
          }
          const reply = await deviceFault(device, () => {
            device.set(relay, command === ETH.active ? "on" : "off");
            return Uint8Array.of(0);
          }, () => Uint8Array.of(1));
          if (reply === "hangup") return;
          if (reply !== "hang") await writeBytes(conn, reply);
        }
      }
    };
    return Promise.resolve(tcpSimulator(
      "devantech-eth",
      device,
      { hostname, port },
      handle,
      (ip, p) => ({
        driver: model.driver,
        ip,
        port: p,
        ...(options.password ? { password: options.password } : {}),
      }),
    ));
  },
};

/** `devantech-ds`. */
export const DEVANTECH_DS: SimulatorKind<z.infer<typeof DS_OPTIONS>> = {
  name: "devantech-ds",
  summary: "Devantech dS2824/dS378 ASCII TCP commands (SR N on|off → Ok, GR N → Active)",
  options: DS_OPTIONS,
  start(device, { options, hostname, port }) {
    const model = DS_MODELS[options.model]!;
    const exists = (n: number) => n >= 1 && n <= model.relays && device.has(n);
    const answer = async (text: string): Promise<FaultReply<string>> => {
      const words = text.split(/\s+/);
      const verb = words[0]?.toUpperCase();
      const n = Number(words[1]);
      if (verb === "ST" && words.length === 1) {
        return `${model.label} ${
          Object.values(device.snapshot()).map((s) => s === "on" ? 1 : 0).join("")
        }\r\n`;
      }
      if (verb === "GR" && words.length === 2 && /^\d+$/.test(words[1]!) && exists(n)) {
        return await deviceFault(
          device,
          () => device.get(n) === "on" ? "Active\r\n" : "Inactive\r\n",
          () => "Error\r\n",
        );
      }
      const state = words[2]?.toLowerCase();
      if (
        verb === "SR" && (words.length === 3 || words.length === 4) &&
        /^\d+$/.test(words[1]!) && exists(n) && (state === "on" || state === "off")
      ) {
        // A pulse time makes the relay revert later; pdud never asks for one.
        if (words.length === 4) return "Error\r\n";
        return await deviceFault(device, () => {
          device.set(n, state);
          return "Ok\r\n";
        }, () => "Error\r\n");
      }
      return "Invalid command\r\n";
    };
    const handle = async (conn: Deno.TcpConn) => {
      let line = "";
      const buffer = new Uint8Array(512);
      for (;;) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) return;
        for (const byte of buffer.subarray(0, n)) {
          if (byte !== 10 && byte !== 13) {
            if (line.length < 128) line += String.fromCharCode(byte);
            continue;
          }
          const text = line.trim();
          line = "";
          if (text === "") continue;
          device.record(`< ${text}`);
          const reply = await answer(text);
          if (reply === "hangup") return;
          if (reply instanceof Uint8Array) await writeBytes(conn, reply);
          else if (reply !== "hang") await writeLatin1(conn, reply);
        }
      }
    };
    return Promise.resolve(tcpSimulator(
      "devantech-ds",
      device,
      { hostname, port },
      handle,
      (ip, p) => ({ driver: model.driver, ip, port: p }),
    ));
  },
};
