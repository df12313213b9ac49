/**
 * OpenIPMI's BMC simulator (`ipmi_sim`, Debian package `openipmi`) as the IPMI device of pdud's
 * tests: the real thing, speaking IPMI 1.5 LAN and 2.0 RMCP+ on a UDP port of 127.0.0.1, with a
 * generated lan.conf and command file in a temporary directory, and the chassis-control script
 * tests/_fixtures/ipmi_sim_chassis.sh keeping the simulated server's power in a file there.
 *
 * What ipmi_sim needs, found by experiment (ipmi_sim 2.0.33, ipmitool 1.8.19): a `name`; a LAN
 * channel with `guid` (without it RMCP+ sessions are refused) and `allowed_auths_*` for each
 * privilege; users; `chassis_control` naming the script; and an MC made the BMC by the command
 * file (`mc_setbmc`, `mc_add`, `mc_enable`). ipmitool must be given a cipher suite ipmi_sim has
 * (-C 3): with its default (17) every call waits out its retransmissions first.
 */
import { createSocket } from "node:dgram";
import { fileURLToPath } from "node:url";

const CHASSIS_SCRIPT = fileURLToPath(
  new URL("../_fixtures/ipmi_sim_chassis.sh", import.meta.url),
);

/** Why the IPMI tests cannot run here, or undefined when ipmi_sim and ipmitool are installed. */
export const IPMI_SIM_MISSING: string | undefined = (() => {
  const missing = ["ipmi_sim", "ipmitool"].filter((tool) => !onPath(tool));
  return missing.length === 0
    ? undefined
    : `${missing.join(" and ")} not installed (Debian packages openipmi, ipmitool)`;
})();

function onPath(tool: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${tool}`).isFile) return true;
    } catch { /* not here */ }
  }
  return false;
}

/** The administrator ipmi_sim knows. */
export const IPMI_ADMIN = { username: "admin", password: "ipmi-admin-pass" };
/** A user whose highest privilege is USER: chassis control is beyond it. */
export const IPMI_VIEWER = { username: "viewer", password: "ipmi-viewer-pass" };

/** A running ipmi_sim. */
export interface IpmiSim extends AsyncDisposable {
  /** Its UDP port on 127.0.0.1. */
  readonly port: number;
  /** Its process id (a test may stop it with SIGSTOP to make the BMC silent). */
  readonly pid: number;
  /** The simulated server's power, as the chassis-control script keeps it. */
  power(): Promise<"on" | "off">;
  /** Sets the server's power behind the BMC's back (a server switched by hand). */
  setPower(state: "on" | "off"): Promise<void>;
  /** Every power change the BMC made, in order: "power 1", "power 0". */
  changes(): Promise<string[]>;
  /** Makes every chassis call fail with `complaint` (undefined: works again). */
  failChassis(complaint: string | undefined): Promise<void>;
  /** The ipmi PDU section driving it as the administrator. */
  pduConfig(): Record<string, unknown>;
  close(): Promise<void>;
}

/** Starts ipmi_sim on a free UDP port of 127.0.0.1 (callers skip when IPMI_SIM_MISSING). */
export async function startIpmiSim(): Promise<IpmiSim> {
  for (let attempt = 1;; attempt++) {
    try {
      return await startOnce();
    } catch (error) {
      // The free port found was taken by another test in between: try another one.
      if (attempt >= 3) throw error;
    }
  }
}

async function startOnce(): Promise<IpmiSim> {
  const dir = await Deno.makeTempDir({ prefix: "pdud-ipmi-sim-" });
  const port = await freeUdpPort();
  await Deno.copyFile(CHASSIS_SCRIPT, `${dir}/chassis.sh`);
  await Deno.chmod(`${dir}/chassis.sh`, 0o755);
  await Deno.writeTextFile(`${dir}/power`, "0\n");
  await Deno.mkdir(`${dir}/state`);
  const auths = "none md2 md5 straight";
  await Deno.writeTextFile(
    `${dir}/lan.conf`,
    [
      `name "pdudtest"`,
      `set_working_mc 0x20`,
      `  startlan 1`,
      `    addr 127.0.0.1 ${port}`,
      `    priv_limit admin`,
      ...["callback", "user", "operator", "admin"].map((p) => `    allowed_auths_${p} ${auths}`),
      `    guid a123456789abcdefa123456789abcdef`,
      `  endlan`,
      `  chassis_control "${dir}/chassis.sh ${dir}"`,
      `  user 2 true "${IPMI_ADMIN.username}" "${IPMI_ADMIN.password}" admin 10 ${auths}`,
      `  user 3 true "${IPMI_VIEWER.username}" "${IPMI_VIEWER.password}" user 10 ${auths}`,
      ``,
    ].join("\n"),
  );
  await Deno.writeTextFile(
    `${dir}/emu.cmds`,
    [
      "mc_setbmc 0x20",
      "mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr",
      "mc_enable 0x20",
      "",
    ].join("\n"),
  );
  // Not -n: the console echoes the command file and then prompts "> ", which says it is ready;
  // closing its stdin ends it.
  const child = new Deno.Command("ipmi_sim", {
    args: ["-c", `${dir}/lan.conf`, "-f", `${dir}/emu.cmds`, "-s", `${dir}/state`],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  // Ready when the prompt follows the last command of the file; a failure ends the output first.
  const ready = await (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return false;
      seen += value;
      if (/mc_enable 0x20\s*\r?\n[\s\S]*> /.test(seen)) return true;
    }
  })();
  const drain = (async () => {
    for (;;) if ((await reader.read()).done) return;
  })();
  let stopped: Promise<unknown> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      try {
        Deno.kill(child.pid, "SIGCONT");
      } catch { /* gone */ }
      await child.stdin.close().catch(() => {});
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ended = await Promise.race([
        child.status.then(() => true),
        new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), 2000)),
      ]);
      clearTimeout(timer);
      if (!ended) {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }
      await child.status;
      await drain.catch(() => {});
      await stderr.catch(() => "");
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    })();
    return stopped;
  };
  if (!ready) {
    const why = (await stderr).trim() || seen.trim();
    await stop();
    throw new Error(`ipmi_sim exited at start: ${why}`);
  }
  // ipmi_sim binds with SO_REUSEADDR, so it starts even when another socket took the port after
  // the probe: then datagrams could reach either, and this start is done again on another port.
  if (await udpSocketsOn(port) > 1) {
    await stop();
    throw new Error(`UDP port ${port} is shared with another socket`);
  }
  const read = async (name: string) => await Deno.readTextFile(`${dir}/${name}`).catch(() => "");
  const close = async () => {
    await stop();
  };
  return {
    port,
    pid: child.pid,
    power: async () => (await read("power")).trim() === "1" ? "on" : "off",
    setPower: (state) => Deno.writeTextFile(`${dir}/power`, state === "on" ? "1\n" : "0\n"),
    changes: async () => (await read("changes")).split("\n").filter((l) => l !== ""),
    failChassis: async (complaint) => {
      if (complaint === undefined) await Deno.remove(`${dir}/fail`).catch(() => {});
      else await Deno.writeTextFile(`${dir}/fail`, `${complaint}\n`);
    },
    pduConfig: () => ({
      driver: "ipmi",
      address: "127.0.0.1",
      port,
      username: IPMI_ADMIN.username,
      password: IPMI_ADMIN.password,
    }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A UDP port of 127.0.0.1 free a moment ago. */
function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** How many UDP sockets are bound to 127.0.0.1:`port` (or to any address at it), per /proc. */
async function udpSocketsOn(port: number): Promise<number> {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const table = await Deno.readTextFile("/proc/net/udp").catch(() => "");
  return table.split("\n").filter((line) => {
    const local = line.trim().split(/\s+/)[1] ?? "";
    return local === `0100007F:${hex}` || local === `00000000:${hex}`;
  }).length;
}
