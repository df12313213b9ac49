import assert from "node:assert/strict";
import { findDriver } from "../../../drivers/mod.ts";
import { NODE_SKIP } from "./_probe.ts";
import { listHidraw } from "../../../drivers/usb/_hidraw.ts";
import { conformance, startSimulator } from "../../_helpers/conformance.ts";
import { assertDrivesOverHttp, control, startDaemon } from "../../_helpers/daemon.ts";

const SOCAT = NODE_SKIP === "";
const SKIP = NODE_SKIP;

for (const [model, ports] of [["YKUSH", 3], ["YKUSH3", 3], ["YKUSHXS", 1]] as const) {
  const start = () => startSimulator("ykush", { outlets: ports }, { model });
  if (SOCAT) {
    conformance({
      name: model,
      descriptor: findDriver(model)!,
      start,
      replugs: true,
      // The node simulator abandons a slowed operation when the driver writes again (its
      // reading of "the driver gave up"), which a status read after the report can do.
      skipFaults: ["slow"],
    });
  }

  Deno.test({
    name: `${model}: on, off and reboot through the daemon's HTTP API${SKIP}`,
    ignore: !SOCAT,
    async fn() {
      await using sim = await start();
      assert.equal(sim.pduConfig().driver, model);
      await assertDrivesOverHttp(sim);
      if (ports > 1) await assertDrivesOverHttp(sim, { outlet: ports });
    },
  });

  Deno.test({
    name: `${model}: a refused switch is answered 503 with the reason${SKIP}`,
    ignore: !SOCAT,
    async fn() {
      await using sim = await start();
      sim.device.fault = "error";
      await using d = await startDaemon({ pdus: { dev: { ...sim.pduConfig(), retries: 1 } } });
      const r = await control(d, "on", { hostname: "dev", port: 1 });
      assert.equal(r.status, 503);
      assert.match(r.body, new RegExp(`${model} refused to switch port 1 on \\(status byte 0\\)`));
      assert.equal(sim.device.get(1), "off");
    },
  });
}

Deno.test("listHidraw() reads vendor, product and serial from a sysfs tree", async () => {
  const root = await Deno.makeTempDir({ prefix: "pdud-sysfs-" });
  try {
    await Deno.mkdir(`${root}/hidraw3/device`, { recursive: true });
    await Deno.writeTextFile(
      `${root}/hidraw3/device/uevent`,
      "DRIVER=hid-generic\nHID_ID=0003:000004D8:0000F2F7\nHID_NAME=Yepkit YKUSH\nHID_UNIQ=YK21234\n",
    );
    assert.deepEqual(await listHidraw(root, "/dev"), [
      { node: "/dev/hidraw3", vendor: 0x04d8, product: 0xf2f7, serial: "YK21234" },
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
