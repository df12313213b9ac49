/**
 * A servod stand-in: the XML-RPC server of hdctools' `servod` (Python's SimpleXMLRPCServer),
 * holding the controls `power_state`, `warm_reset` and `cold_reset` of one DUT. The DUT, and so
 * every outlet of the simulated device, is on while power_state is "on" and both resets are
 * "off". As strict as servod: only POST to / or /RPC2 (else 501/404, as http.server answers);
 * only `set(name, value)` and `get(name)` with exactly those arguments; unknown methods,
 * controls and values, wrong arities and unparsable bodies get fault 1 with servod's
 * "<class '…'>:message" text.
 * @module
 */
import { z } from "zod";
import type { OutletState } from "../../drivers/mod.ts";
import type { Simulator, SimulatorKind } from "../kind.ts";
import { faultReply, serveSimulatorHttp, type SimulatedReply } from "../_transport/http_server.ts";
import type { XmlRpcValue } from "@foxglove/xmlrpc";
import {
  CONTROLS,
  controlValue,
  loadXmlRpc,
  SERVO_CONTROLS,
  type ServoControl,
  type XmlRpcLibrary,
} from "../../drivers/xmlrpc/mod.ts";

const OPTIONS = z.object({ "ctrls": CONTROLS }).strict();

const xml = (body: string) =>
  new Response(body, { status: 200, headers: { "content-type": "text/xml" } });

/** A fault as SimpleXMLRPCServer marshals an exception: code 1, "<class 'T'>:message". */
const faultOf = (rpc: XmlRpcLibrary, type: string, message: string) =>
  xml(rpc.serializeFault(new rpc.XmlRpcFault(`<class '${type}'>:${message}`, 1)));

/** Python's TypeError text for a call of `Servod.<method>` with the wrong number of arguments. */
function arityError(
  fault: (type: string, message: string) => Response,
  method: string,
  names: string[],
  given: number,
): Response | undefined {
  if (given > names.length) {
    return fault(
      "TypeError",
      `Servod.${method}() takes ${names.length + 1} positional arguments but ${
        given + 1
      } were given`,
    );
  }
  const missing = names.slice(given).map((n) => `'${n}'`);
  if (missing.length === 0) return undefined;
  return fault(
    "TypeError",
    `Servod.${method}() missing ${missing.length} required positional argument${
      missing.length > 1 ? "s" : ""
    }: ${missing.join(" and ")}`,
  );
}

const isControl = (name: XmlRpcValue): name is ServoControl =>
  typeof name === "string" && Object.hasOwn(SERVO_CONTROLS, name);

/** `servod`. */
export const SERVOD_SIMULATOR: SimulatorKind<z.infer<typeof OPTIONS>> = {
  name: "servod",
  summary: "ChromeOS servod XML-RPC: set/get of power_state, warm_reset, cold_reset (one DUT)",
  options: OPTIONS,
  async start(device, { options, hostname, port }) {
    const rpc = await loadXmlRpc();
    const fault = (type: string, message: string) => faultOf(rpc, type, message);
    // Controls outside `ctrls` start where the DUT can run, so `ctrls` alone decide its state.
    const initial: OutletState = device.get(device.first);
    const values = new Map<ServoControl, "on" | "off">();
    for (const control of Object.keys(SERVO_CONTROLS) as ServoControl[]) {
      values.set(control, controlValue(control, options.ctrls.includes(control) ? initial : "on"));
    }
    const dut = (): OutletState =>
      [...values].every(([c, v]) => v === controlValue(c, "on")) ? "on" : "off";

    const operate = async (request: Request, answer: () => Response): Promise<SimulatedReply> => {
      const fault = await device.beginOperation(request.signal);
      try {
        if (fault === "error" || fault === "flap") {
          return xml(rpc.serializeFault(
            new rpc.XmlRpcFault(
              "<class 'servo.drv.hw_driver.HwDriverError'>:Timeout waiting for the servo's EC",
              1,
            ),
          ));
        }
        return faultReply(fault) ?? answer();
      } finally {
        device.endOperation();
      }
    };

    const server = serveSimulatorHttp(device, { hostname, port }, async (request) => {
      const path = new URL(request.url).pathname;
      if (request.method !== "POST") {
        return new Response(`Error code: 501\nMessage: Unsupported method ('${request.method}').`, {
          status: 501,
        });
      }
      if (path !== "/" && path !== "/RPC2") return new Response("", { status: 404 });
      let method: string, params: XmlRpcValue[];
      try {
        [method, params] = await new rpc.Deserializer().deserializeMethodCall(await request.text());
      } catch (error) {
        device.record(`POST ${path} (not XML-RPC)`);
        return fault(
          "xml.parsers.expat.ExpatError",
          error instanceof Error ? error.message : String(error),
        );
      }
      device.record(`${method}(${params.map((p) => JSON.stringify(p)).join(", ")})`);
      if (method === "set") {
        const [name, value] = params;
        const bad = arityError(fault, "set", ["name", "wr_val_str"], params.length);
        if (bad) return bad;
        if (!isControl(name!)) return fault("NameError", `No control named ${String(name)}`);
        if (value !== "on" && value !== "off") {
          return fault(
            "servo.system_config.SystemConfigError",
            `Map 'onoff' doesn't contain key '${String(value)}'`,
          );
        }
        return await operate(request, () => {
          values.set(name, value);
          const now = dut();
          for (let o = device.first; o < device.first + device.count; o++) device.set(o, now);
          return xml(rpc.serializeMethodResponse(true));
        });
      }
      if (method === "get") {
        const [name] = params;
        const bad = arityError(fault, "get", ["name"], params.length);
        if (bad) return bad;
        if (!isControl(name!)) return fault("NameError", `No control named ${String(name)}`);
        return await operate(request, () => xml(rpc.serializeMethodResponse(values.get(name)!)));
      }
      return fault("Exception", `method "${method}" is not supported`);
    });
    const close = () => server.close();
    const simulator: Simulator = {
      kind: "servod",
      device,
      address: { hostname: server.hostname, port: server.port, transport: "tcp" },
      pduHostname: server.hostname,
      pduConfig: () => ({
        driver: "SERVO",
        ip: server.hostname,
        port: server.port,
        ctrls: options.ctrls,
      }),
      close,
      [Symbol.asyncDispose]: close,
    };
    return simulator;
  },
};
