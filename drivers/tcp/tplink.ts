/**
 * TP-Link Kasa smart plugs and strips (tested by upstream: KP303, KP105, HS105): `tplink`
 * (upstream's name). Protocol: the Kasa local JSON protocol on TCP 9999 (see _kasa_codec.ts;
 * softScheck's tplink-smartplug research): `{"system":{"set_relay_state":{"state":1|0}}}`,
 * answered `{"system":{"set_relay_state":{"err_code":0}}}`, and `system.get_sysinfo` whose
 * `relay_state` (plugs) or `children[].state` (strips) tell the state. A strip's outlet N is the
 * child whose id is the device id followed by N-1 in two digits (else the N-th child), addressed
 * with `"context":{"child_ids":[ID]}`. Keys: none upstream (it always uses the PDU name and port
 * 9999); `port` (9999) is pdud's addition.
 *
 * An outlet may also be named (upstream b30c332): the name is matched exactly against each
 * child's `alias` (the outlet name set in the Kasa app), as upstream's `get_id` does; a plug
 * answers to its own alias. Upstream matches an alias before a number; in pdud a port written
 * in digits is always the outlet number.
 *
 * One request per connection, as upstream. The outlet layout is read once per driver and kept.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError, printable } from "../errors.ts";
import { Session } from "../_transport/session.ts";
import { decodeKasa, encodeKasa, KASA_MAX_LENGTH, kasaLength } from "./_kasa_codec.ts";

const OPTIONS = z.object({ "port": portNumber(9999) }).strict();

type Json = Record<string, unknown>;

interface SysInfo {
  deviceId: string;
  model: string;
  /** A plug's relay. */
  relayState?: number;
  /** The device's own name (a plug's outlet name). */
  alias: string;
  /** A strip's outlets, in the device's order; `alias` is each outlet's name in the app. */
  children?: { id: string; state: unknown; alias: string }[];
}

function object(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Json
    : undefined;
}

/** `tplink`. */
export const TPLINK: DriverDescriptor<z.infer<typeof OPTIONS>> = {
  names: ["tplink"],
  summary: "TP-Link Kasa smart plugs and strips over the local JSON protocol (TCP 9999)",
  options: OPTIONS,
  namedOutlets: true,
  create(hostname, { options }) {
    const device = `TP-Link Kasa at ${hostname}:${options.port}`;
    let layout: SysInfo | undefined;

    /** One request; returns `system.<method>` of the answer after checking its err_code. */
    const call = (method: string, body: Json, signal: AbortSignal) =>
      Session.with({ host: hostname, port: options.port, device }, signal, async (s) => {
        await s.write(encodeKasa(body), signal);
        const length = kasaLength(await s.readExactly(4, `the answer to ${method}`, signal));
        if (length > KASA_MAX_LENGTH) {
          throw new DriverError(
            "protocol",
            `${device} announced a ${length}-byte answer to ${method}; not the Kasa protocol`,
          );
        }
        const text = decodeKasa(await s.readExactly(length, `the answer to ${method}`, signal));
        let answer: Json | undefined;
        try {
          answer = object(JSON.parse(text));
        } catch { /* reported below */ }
        const result = object(object(answer?.system)?.[method]) ?? answer;
        const code = result?.err_code;
        if (code === 0 && result !== answer) return result!;
        if (typeof code === "number") {
          throw new DriverError(
            "device",
            `${device} refused ${method}: err_code ${code}${
              typeof result?.err_msg === "string" ? ` (${result.err_msg})` : ""
            }`,
          );
        }
        throw new DriverError(
          "protocol",
          `${device} sent no ${method} result: ${JSON.stringify(text.slice(0, 80))}`,
        );
      });

    const sysinfo = async (signal: AbortSignal): Promise<SysInfo> => {
      const info = await call("get_sysinfo", { system: { get_sysinfo: {} } }, signal);
      const children = Array.isArray(info.children)
        ? info.children.map((c) => object(c) ?? {}).map((c) => ({
          id: String(c.id),
          state: c.state,
          alias: typeof c.alias === "string" ? c.alias : "",
        }))
        : undefined;
      layout = {
        deviceId: String(info.deviceId ?? ""),
        model: String(info.model ?? "Kasa device"),
        alias: typeof info.alias === "string" ? info.alias : "",
        ...(typeof info.relay_state === "number" ? { relayState: info.relay_state } : {}),
        ...(children && children.length > 0 ? { children } : {}),
      };
      return layout;
    };

    const childOf = (info: SysInfo, outlet: number) => {
      if (!info.children) {
        if (outlet !== 1) {
          throw new DriverError(
            "config",
            `${device} is a ${info.model} with one outlet (1), not ${outlet}`,
          );
        }
        return undefined;
      }
      if (!Number.isInteger(outlet) || outlet < 1 || outlet > info.children.length) {
        throw new DriverError(
          "config",
          `${device} is a ${info.model} with outlets 1..${info.children.length}, not ${outlet}`,
        );
      }
      const byId = info.children.find((c) =>
        c.id === `${info.deviceId}${String(outlet - 1).padStart(2, "0")}`
      );
      return byId ?? info.children[outlet - 1]!;
    };

    /** The child named `name` (undefined for a plug named by its own alias), or why not. */
    const named = (info: SysInfo, name: string) => {
      if (!info.children) {
        if (info.alias === name) return { child: undefined };
        return { missing: `${device} is a ${info.model} named "${printable(info.alias, 64)}"` };
      }
      const child = info.children.find((c) => c.alias === name);
      if (child) return { child };
      const names = info.children.map((c) => `"${printable(c.alias, 64)}"`).join(", ");
      return { missing: `${device} is a ${info.model} whose outlets are named ${names}` };
    };
    /** The child named `name`, reading the layout again once (the app may have renamed it). */
    const childNamed = async (name: string, signal: AbortSignal, fresh?: SysInfo) => {
      let found = named(fresh ?? layout ?? await sysinfo(signal), name);
      if ("missing" in found && fresh === undefined) found = named(await sysinfo(signal), name);
      if ("missing" in found) {
        throw new DriverError("config", `${found.missing}; none is named "${name}"`);
      }
      return found.child;
    };
    const setRelay = async (
      child: { id: string } | undefined,
      state: OutletState,
      signal: AbortSignal,
    ) => {
      try {
        await call("set_relay_state", {
          ...(child ? { context: { child_ids: [child.id] } } : {}),
          system: { set_relay_state: { state: state === "on" ? 1 : 0 } },
        }, signal);
      } catch (error) {
        // The next attempt reads the layout again, in case the device is not the one we knew.
        layout = undefined;
        throw error;
      }
    };

    return {
      async setNamedOutlet(name, state, { signal }) {
        await setRelay(await childNamed(name, signal), state, signal);
      },
      async getNamedOutlet(name, { signal }): Promise<OutletState> {
        const info = await sysinfo(signal);
        const child = await childNamed(name, signal, info);
        const raw = child ? child.state : info.relayState;
        if (raw === 0 || raw === 1) return raw === 1 ? "on" : "off";
        throw new DriverError(
          "protocol",
          `${device} reported outlet "${name}" in state ${JSON.stringify(raw)}`,
        );
      },
      async setOutlet(outlet, state, { signal }) {
        await setRelay(childOf(layout ?? await sysinfo(signal), outlet), state, signal);
      },
      async getOutlet(outlet, { signal }): Promise<OutletState> {
        const info = await sysinfo(signal);
        const child = childOf(info, outlet);
        const raw = child ? child.state : info.relayState;
        if (raw === 0 || raw === 1) return raw === 1 ? "on" : "off";
        throw new DriverError(
          "protocol",
          `${device} reported outlet ${outlet} in state ${JSON.stringify(raw)}`,
        );
      },
      close: () => Promise.resolve(),
    };
  },
};
