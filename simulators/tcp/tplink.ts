/**
 * Simulator of the TP-Link Kasa devices in tplink.ts: a one-outlet device is an HS105 plug
 * (`relay_state`), a bigger one a KP303-style strip whose children have the device id plus a
 * two-digit index as ids. Requests are length-prefixed autokey-XOR JSON, several per connection
 * as the devices allow; unknown modules and methods get the devices' err_code answers, a
 * request for a child that does not exist gets "entry not exist". A strip switches every child
 * when no context is given, as the real ones do.
 *
 * Faults act on `set_relay_state`; `get_sysinfo` always answers, as it is how the driver learns
 * the outlet layout.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { decodeKasa, encodeKasa, KASA_MAX_LENGTH, kasaLength } from "../../drivers/tcp/mod.ts";
import { deviceFault, type FaultReply, tcpSimulator, writeBytes } from "./_simulator.ts";

const OPTIONS = z.object({
  /**
   * A strip's outlet names as the Kasa app sets them (each child's `alias`), in outlet order;
   * outlets without one are called "pdud strip outlet N". A plug's one name is its own alias.
   */
  "aliases": z.array(z.string().min(1).max(64)).optional(),
}).strict();
const DEVICE_ID = "8006A1B2C3D4E5F60718293A4B5C6D7E8F901A2B";

type Json = Record<string, unknown>;

/** `kasa`. */
export const KASA_SIMULATOR: SimulatorKind<z.infer<typeof OPTIONS>> = {
  name: "kasa",
  summary: "TP-Link Kasa plug (1 outlet, HS105) or strip (KP303-style children) on JSON/TCP 9999",
  options: OPTIONS,
  start(device, { options, hostname, port }) {
    const strip = device.count > 1;
    const outletOf = (i: number) => device.first + i;
    const childId = (i: number) => `${DEVICE_ID}${String(i).padStart(2, "0")}`;
    const bit = (i: number) => device.get(outletOf(i)) === "on" ? 1 : 0;

    const sysinfo = (): Json => ({
      "sw_ver": "1.0.5 Build 201015 Rel.143720",
      "hw_ver": strip ? "1.0" : "4.1",
      "model": strip ? "KP303(UK)" : "HS105(US)",
      "deviceId": DEVICE_ID,
      "oemId": "FFF22CFF774A0B89F7624BFC6F50D5DE",
      "hwId": "22603EA5E716DEAEA6642A30BE87AFCB",
      "alias": strip ? "pdud strip" : options.aliases?.[0] ?? "pdud plug",
      "mic_type": "IOT.SMARTPLUGSWITCH",
      "mac": "50:C7:BF:00:00:01",
      "rssi": -48,
      "led_off": 0,
      "updating": 0,
      ...(strip
        ? {
          "child_num": device.count,
          "children": Array.from({ length: device.count }, (_, i) => ({
            "id": childId(i),
            "state": bit(i),
            "alias": options.aliases?.[i] ?? `pdud strip outlet ${i + 1}`,
            "on_time": 0,
            "next_action": { "type": -1 },
          })),
        }
        : { "relay_state": bit(0), "on_time": 0, "next_action": { "type": -1 } }),
      "err_code": 0,
    });

    /** The answer to `set_relay_state`, or the device's error. */
    const setRelay = async (args: unknown, context: unknown): Promise<FaultReply<Json>> => {
      const state = (args as Json | null)?.state;
      if (state !== 0 && state !== 1) return { "err_code": -3, "err_msg": "invalid argument" };
      let targets = Array.from({ length: device.count }, (_, i) => i);
      if (context !== undefined && context !== null) {
        const ids = (context as Json).child_ids;
        const picked = Array.isArray(ids)
          ? ids.map((id) => targets.find((i) => childId(i) === id))
          : [];
        if (!strip || picked.length === 0 || picked.some((i) => i === undefined)) {
          return { "err_code": -14, "err_msg": "entry not exist" };
        }
        targets = picked as number[];
      }
      return await deviceFault(device, () => {
        for (const i of targets) device.set(outletOf(i), state === 1 ? "on" : "off");
        return { "err_code": 0 };
      }, () => ({ "err_code": -1, "err_msg": "relay is busy" }));
    };

    /** The answer to one request, or what the fault makes of it. */
    const answer = async (text: string): Promise<FaultReply<Json>> => {
      let request: unknown;
      try {
        request = JSON.parse(text);
      } catch { /* answered below */ }
      if (typeof request !== "object" || request === null || Array.isArray(request)) {
        return { "err_code": -1, "err_msg": "json decode fail" };
      }
      const out: Json = {};
      for (const [module, methods] of Object.entries(request as Json)) {
        if (module === "context") continue;
        if (module !== "system" || typeof methods !== "object" || methods === null) {
          out[module] = { "err_code": -1, "err_msg": "module not support" };
          continue;
        }
        const results: Json = {};
        for (const [method, args] of Object.entries(methods)) {
          if (method === "get_sysinfo") results[method] = sysinfo();
          else if (method === "set_relay_state") {
            const reply = await setRelay(args, (request as Json).context);
            if (reply === "hang" || reply === "hangup" || reply instanceof Uint8Array) return reply;
            results[method] = reply;
          } else results[method] = { "err_code": -2, "err_msg": "member not support" };
        }
        out[module] = results;
      }
      return out;
    };

    const handle = async (conn: Deno.TcpConn) => {
      let pending = new Uint8Array(0);
      const buffer = new Uint8Array(4096);
      for (;;) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) return;
        const joined = new Uint8Array(pending.length + n);
        joined.set(pending);
        joined.set(buffer.subarray(0, n), pending.length);
        pending = joined;
        while (pending.length >= 4) {
          const length = kasaLength(pending);
          if (length > KASA_MAX_LENGTH) return;
          if (pending.length < 4 + length) break;
          const text = decodeKasa(pending.subarray(4, 4 + length));
          pending = pending.slice(4 + length);
          device.record(`< ${text.slice(0, 200)}`);
          const reply = await answer(text);
          if (reply === "hangup") return;
          if (reply === "hang") continue;
          await writeBytes(conn, reply instanceof Uint8Array ? reply : encodeKasa(reply));
        }
      }
    };
    return Promise.resolve(tcpSimulator(
      "kasa",
      device,
      { hostname, port },
      handle,
      (_ip, p) => ({ driver: "tplink", port: p }),
    ));
  },
};
