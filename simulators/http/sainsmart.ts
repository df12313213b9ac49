/**
 * Simulator of SainSmart Ethernet relay boards, on a real socket and as strict as the board.
 * @module
 */
import { z } from "zod";
import type { SimulatorKind } from "../kind.ts";
import { NO_OPTIONS, notFound, operate, page, simulator } from "./_http.ts";

/** SainSmart Ethernet relay board: GET /30000/NN (NN even: relay off, odd: on). */
export const SAINSMART_SIMULATOR: SimulatorKind<z.infer<typeof NO_OPTIONS>> = {
  name: "sainsmart",
  summary: "SainSmart Ethernet relay board: GET /30000/NN (2(N-1) off, 2(N-1)+1 on)",
  options: NO_OPTIONS,
  start(device, { hostname, port }) {
    return Promise.resolve(simulator("sainsmart", device, { hostname, port }, (request) => {
      const url = new URL(request.url);
      device.record(`${request.method} ${url.pathname}`);
      const m = /^\/30000\/(\d\d)$/.exec(url.pathname);
      const code = Number(m?.[1]);
      const relay = Math.floor(code / 2) + 1;
      if (request.method !== "GET" || !m || url.search !== "" || !device.has(relay)) {
        return Promise.resolve(notFound());
      }
      return operate(device, request, () => {
        device.set(relay, code % 2 === 1 ? "on" : "off");
        return page("Relay board", device);
      });
    }, (address, port) => ({ driver: "sainsmart", ip: `${address}:${port}` })));
  },
};
