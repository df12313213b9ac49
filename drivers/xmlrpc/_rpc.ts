/**
 * XML-RPC (https://xmlrpc.com/spec.md) over HTTP for the xmlrpc family: npm `@foxglove/xmlrpc`
 * encodes and decodes the XML, the drivers' one HTTP client (`httpCall`) carries it with the
 * operation's abort signal, and every failure becomes a DriverError naming the device and what
 * it answered.
 * @module
 */
import type { XmlRpcValue } from "@foxglove/xmlrpc";
import { DriverError, printable } from "../errors.ts";
import { httpCall } from "../_transport/http_client.ts";
import { loadXmlRpc } from "../_libraries.ts";

/** One XML-RPC call. */
export interface XmlRpcCall {
  /** The endpoint, path included ("http://host:9999/RPC2"). */
  url: string;
  method: string;
  params: string[];
  signal: AbortSignal;
  /** The device's name in messages ("servod at 10.0.0.5:9999"). */
  device: string;
}

/** Performs `call` and returns the method's result; faults and failures throw DriverError. */
export async function xmlRpcCall(call: XmlRpcCall): Promise<XmlRpcValue> {
  const { Deserializer, serializeMethodCall, XmlRpcFault } = await loadXmlRpc();
  const what = `${call.method}(${call.params.map((p) => JSON.stringify(p)).join(", ")})`;
  const { text } = await httpCall({
    method: "POST",
    url: call.url,
    headers: { "content-type": "text/xml" },
    body: serializeMethodCall(call.method, call.params),
    signal: call.signal,
    device: call.device,
    what,
  });
  try {
    return await new Deserializer().deserializeMethodResponse(text);
  } catch (error) {
    if (error instanceof XmlRpcFault) {
      throw new DriverError(
        "device",
        `${call.device} answered ${what} with fault ${error.faultCode ?? "?"}: ${
          printable(error.faultString ?? "", 200)
        }`,
      );
    }
    throw new DriverError(
      "protocol",
      `${call.device} answered ${what} with something that is not XML-RPC: ${
        printable(JSON.stringify(text.slice(0, 40)))
      }`,
    );
  }
}
