/**
 * Clients nobody here wrote, against pdud's APC simulators: ClusterLabs' fence agents (Debian's
 * `fence-agents`). `fence_apc_snmp` picks the model by sysObjectID, walks the outlet names and
 * reads and sets the outlet; `fence_apc` walks the Control Console menus or, on AOS v5+ firmware,
 * the `apc>` command line, over telnet (fence_agents_telnet_test.ts) or (`--ssh`) through
 * OpenSSH's client (fence_agents_ssh_test.ts). When the agents (or the snmpwalk/telnet/ssh they
 * run) are missing, the tests say they were skipped.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../_helpers/conformance.ts";
import { exercise, fence, SNMP_READY, why } from "./_fence.ts";

for (const controlpoint of ["sPDUOutletCtl", "rPDUOutletControlOutletCommand"]) {
  Deno.test({
    name: `fence_apc_snmp lists, reads and switches the apc-snmp simulator (${controlpoint})${
      why(SNMP_READY, "fence_apc_snmp/snmpwalk")
    }`,
    ignore: !SNMP_READY,
    async fn() {
      await using sim = await startSimulator("apc-snmp", { outlets: 8 }, { controlpoint });
      await exercise("fence_apc_snmp", sim, ["--community", "private"]);
      const wrong = await fence("fence_apc_snmp", sim, [
        "--community",
        "not-it",
        "--plug",
        "3",
        "--action",
        "on",
        "--power-timeout",
        "1",
        "--shell-timeout",
        "1",
      ]);
      assert.notEqual(wrong.code, 0, "a wrong community does not switch");
      assert.equal(sim.device.get(3), "off");
    },
  });
}
