/**
 * APC PDUs' consoles as they behave, on telnet or on SSH (`transport`): a network management
 * card offers the same console on both, so one state machine serves either and only the
 * framing and the login differ. Telnet: IAC negotiation at connect (WILL ECHO, WILL
 * SUPPRESS-GO-AHEAD, DO NAWS — a client's answers are read and stripped), then a `User Name :` /
 * `Password  :` login that re-prompts on a wrong password and hangs up after three. SSH
 * (`./apc_ssh_simulator.ts`): SSH's password authentication is the login. Then either the
 * Control Console's numbered menus (per model, as each firmware lays them out; ESC goes up,
 * ENTER redraws, an outlet command needs `YES`) or the `apc>` command line of the AP8959.
 *
 * Which menus each model draws was checked against the clients written for the real devices:
 * ClusterLabs' `fence_apc`, PowerMan's `apc*.dev` scripts (Debian's powerman), upstream
 * PDUDaemon's drivers and Linux-HA's `apcmaster` STONITH plugin (tested on an AP9211). Where
 * they disagree the vendor's user's guides decide; each choice is written at the model below
 * and in docs/notes-fidelity.md:
 * - AP7952/AP7921/AP7932 (Switched Rack PDU, AOS v3): Device Manager → Outlet Management →
 *   Outlet Control/Configuration → the outlet → Control Outlet → Immediate On/Off. Upstream's
 *   apc7932 driver skips "Control Outlet"; fence_apc, PowerMan's apcpdu3 and apc7920 scripts
 *   and the AP79xx guide have it, so the AP7932 draws it too (pdud's driver takes either).
 * - AP7900/AP7920 (AOS v2): Device Manager → Outlet Control/Configuration (item 3) → ….
 * - AP9211/AP9212/AP9217/AP9218 MasterSwitch and its AP9606 card: the Device Manager lists the
 *   outlets itself; the outlet → Control Outlet → Immediate On/Off. PowerMan (apcnew.dev),
 *   PDUDaemon (apc9218) and apcmaster agree; fence_apc cannot drive it (it picks the Device
 *   Manager's item 2 or 3 as if it were an outlet list, finds no outlets and says "plug is not
 *   available"), which is fence_apc's limit, not the device's. Only the AP9218 shows a pager
 *   before the control menu (PDUDaemon's apc9218 handles one; PowerMan's apcnew has none).
 * - AP9210 MasterSwitch (v1 firmware): "Outlet Manager" → the outlet → Control of Outlet →
 *   Turn Outlet On/Off (PowerMan's apcold.dev, PDUDaemon's apc9210); fence_apc does not know
 *   this firmware either.
 * Every control menu's Cancel (pending delays) asks for YES and succeeds, as PowerMan's scripts
 * send it before each command. Prompts start with a bare CR (`\rUser Name : `), which
 * PowerMan's apc7900/apc7920/apcpdu scripts wait for.
 * @module
 */
import { z } from "zod";
import type { SimulatedDevice, Simulator, SimulatorKind } from "../kind.ts";
import {
  serveSimulatorTcp,
  type SimulatorTcpServer,
  writeLatin1,
} from "../_transport/tcp_server.ts";
import { consoleFault, type ConsoleReply } from "./_console.ts";
import { serveConsoleOverSsh } from "./apc_ssh.ts";

const IAC = 255, SB = 250, SE = 240, WILL = 251, DO = 253, ECHO = 1, SGA = 3, NAWS = 31;
const MENU_MODELS = [
  "apc7952",
  "apc7921",
  "apc7932",
  "apc7900",
  "apc7920",
  "apc9218",
  "ap9218",
  "apc9606",
  "ap9606",
  "apc9210",
] as const;
type MenuModel = typeof MENU_MODELS[number];

const CONSOLE_OPTIONS = {
  "username": z.string().min(1).default("apc"),
  "password": z.string().default("apc"),
  "transport": z.enum(["telnet", "ssh"]).default("telnet"),
};
const MENU_OPTIONS = z.object({
  ...CONSOLE_OPTIONS,
  "model": z.enum(MENU_MODELS).default("apc7952"),
})
  .strict();
const CLI_OPTIONS = z.object(CONSOLE_OPTIONS).strict();
type MenuOptions = z.infer<typeof MENU_OPTIONS>;
type CliOptions = z.infer<typeof CLI_OPTIONS>;

/** A menu: a title, numbered items, and what choosing each does. */
interface Menu {
  title: string;
  /** Lines drawn between the title and the items (outlet state and the like). */
  header?: () => string[];
  items: () => Item[];
  /** Printed with a pager before the menu is first drawn (the AP9218 does this). */
  pager?: string | undefined;
}
type Item = [label: string, choose: () => Menu | Action | undefined];
type Action =
  | { switch: "on" | "off" | "cancel"; outlet: number; title: string }
  | { logout: true };

function isMenu(x: Menu | Action | undefined): x is Menu {
  return x !== undefined && "items" in x;
}

/** The model's menu tree over `device`. */
function menus(model: MenuModel, device: SimulatedDevice): Menu {
  const outlets = Array.from({ length: device.count }, (_, i) => device.first + i);
  const state = (n: number) => device.get(n) === "on" ? "ON" : "OFF";
  const nothing: Menu = { title: "Not available in the simulator", items: () => [] };

  const control = (n: number): Menu => ({
    title: `Control Outlet ${n}`,
    header:
      () => [`Name         : Outlet ${n}`, `Outlet       : ${n}`, `State        : ${state(n)}`],
    pager: model === "apc9218" || model === "ap9218" ? `Outlet ${n} state: ${state(n)}` : undefined,
    items: () => [
      ["Immediate On", () => ({ switch: "on", outlet: n, title: "Immediate On" })],
      ["Immediate Off", () => ({ switch: "off", outlet: n, title: "Immediate Off" })],
      ["Immediate Reboot", () => undefined],
      ["Delayed On", () => undefined],
      ["Delayed Off", () => undefined],
      ["Delayed Reboot", () => undefined],
      ["Cancel", () => ({ switch: "cancel", outlet: n, title: "Cancel" })],
    ],
  });
  const control9210 = (n: number): Menu => ({
    title: `Control of Outlet ${n}`,
    header: () => [`State: ${state(n)}`],
    items: () => [
      ["Turn Outlet On", () => ({ switch: "on", outlet: n, title: "Turn Outlet On" })],
      ["Turn Outlet Off", () => ({ switch: "off", outlet: n, title: "Turn Outlet Off" })],
      ["Reboot Outlet", () => undefined],
    ],
  });
  const outletMenu = (n: number): Menu => {
    if (model === "apc9210") {
      return {
        title: `Outlet ${n}`,
        items: () => [["Control of Outlet", () => control9210(n)], [
          "Outlet Configuration",
          () => nothing,
        ]],
      };
    }
    return {
      title: `Outlet ${n}`,
      header: () => [`State: ${state(n)}`],
      items: () => [["Control Outlet", () => control(n)], ["Configure Outlet", () => nothing]],
    };
  };
  // Items are numbered from 1 on the console; the outlet list maps item k to the k-th outlet.
  const outletList = (title: string): Menu => ({
    title,
    items: () => [
      ...outlets.map((n): Item => [`Outlet ${n}`.padEnd(24) + state(n), () => outletMenu(n)]),
      ["Master Control/Configuration", () => model === "apc9210" ? master9210 : nothing],
    ],
  });
  // The AP9210's master control shows every outlet as `N:STATE`, which PowerMan's apcold.dev
  // reads for its status; its all-outlet commands are not simulated.
  const master9210: Menu = {
    title: "Master Control/Configuration",
    items: () => [["Control of Master Switch", () => ({
      title: "Control of Master Switch",
      header: () => outlets.map((n) => `${n}:${state(n)}`.padEnd(10) + `Outlet ${n}`),
      items: () => [["Turn All Outlets On", () => undefined], [
        "Turn All Outlets Off",
        () => undefined,
      ], ["Reboot All Outlets", () => undefined]],
    })], ["Master Configuration", () => nothing]],
  };

  let main: Item[];
  if (model === "apc9210") {
    main = [["Outlet Manager", () => outletList("Outlet Manager")]];
  } else if (model === "apc7952" || model === "apc7921" || model === "apc7932") {
    const management: Menu = {
      title: "Outlet Management",
      items: () => [
        ["Outlet Control/Configuration", () => outletList("Outlet Control/Configuration")],
        ["Outlet Restriction", () => nothing],
      ],
    };
    main = [["Device Manager", () => ({
      title: "Device Manager",
      items: () => [
        ["Phase Management", () => nothing],
        ["Outlet Management", () => management],
        ["Power Supply Status", () => nothing],
      ],
    })]];
  } else if (model === "apc7900" || model === "apc7920") {
    main = [["Device Manager", () => ({
      title: "Device Manager",
      items: () => [
        ["Phase Monitor/Configuration", () => nothing],
        ["Outlet Restriction Configuration", () => nothing],
        ["Outlet Control/Configuration", () => outletList("Outlet Control/Configuration")],
        ["Power Supply Status", () => nothing],
      ],
    })]];
  } else {
    main = [["Device Manager", () => outletList("Device Manager")]];
  }
  return {
    title: "Control Console",
    items: () => [
      ...main,
      ["Network", () => nothing],
      ["System", () => nothing],
      ["Logout", () => ({ logout: true })],
    ],
  };
}

/**
 * Items one screen holds: a longer menu (a 24-outlet PDU's outlet list) stops after this many
 * and waits for ENTER, as PowerMan's apcpdu/apcpdu3 scripts expect ("after plug 22").
 */
const PAGE_ITEMS = 22;
const MORE = "\r\n\r\nPress <ENTER> to continue...";

/** The menu's screens: one, or two for a long menu (the second after ENTER). */
function draw(menu: Menu): string[] {
  const head = [
    "",
    `------- ${menu.title} `.padEnd(79, "-"),
    "",
    ...(menu.header?.() ?? []).map((l) => `     ${l}`),
    ...(menu.header ? [""] : []),
  ];
  const items = menu.items().map(([label], i) => `     ${i + 1}- ${label}`);
  const foot = ["", "     <ESC>- Back, <ENTER>- Refresh, <CTRL-L>- Event Log", "> "];
  if (items.length <= PAGE_ITEMS) return [[...head, ...items, ...foot].join("\r\n")];
  return [
    [...head, ...items.slice(0, PAGE_ITEMS)].join("\r\n") + MORE,
    ["", ...items.slice(PAGE_ITEMS), ...foot].join("\r\n"),
  ];
}

/** A key the console acts on at once, without ENTER. */
type Key = { key: "esc" | "ctrl-c" };

/** Telnet's Interrupt Process command: what a client in line mode sends for CTRL-C. */
const IP = 244;

/**
 * Splits client bytes into lines and keys (ESC, CTRL-C as 0x03 or, on telnet, IAC IP). On
 * telnet it also drops the other IAC sequences (they span reads); an SSH channel carries none.
 */
class ConsoleInput {
  #telnet: boolean;
  #line = "";
  #iac: number[] = [];
  #lastCr = false;
  /** Recorded IAC sequences, for tests of what the client negotiated. */
  readonly negotiated: number[][] = [];

  constructor(options: { telnet: boolean }) {
    this.#telnet = options.telnet;
  }

  push(bytes: Uint8Array): Array<string | Key> {
    const out: Array<string | Key> = [];
    for (const byte of bytes) {
      const seq = this.#iac;
      if (seq.length > 0) {
        seq.push(byte);
        const command = seq[1]!;
        const done = command === IAC ||
          (command === SB
            ? seq.length >= 4 && seq.at(-2) === IAC && byte === SE
            : command >= WILL && command <= 254
            ? seq.length === 3
            : true);
        if (done) {
          if (command === IAC) this.#line += "\xff";
          else if (command === IP) {
            this.#line = "";
            out.push({ key: "ctrl-c" });
          } else this.negotiated.push([...seq]);
          seq.length = 0;
        }
        continue;
      }
      if (byte === IAC && this.#telnet) {
        seq.push(byte);
        continue;
      }
      // ENTER arrives as CR LF, CR NUL, CR or LF depending on the client; each is one line.
      if ((byte === 0x0a || byte === 0x00) && this.#lastCr) {
        this.#lastCr = false;
        continue;
      }
      this.#lastCr = byte === 0x0d;
      if (byte === 0x0d || byte === 0x0a) {
        out.push(this.#line);
        this.#line = "";
      } else if (byte === 0x1b || byte === 0x03) {
        this.#line = "";
        out.push({ key: byte === 0x1b ? "esc" : "ctrl-c" });
      } else if (this.#line.length < 256) {
        this.#line += String.fromCharCode(byte);
      }
    }
    return out;
  }
}

/** What a logged-in console does with one line or key. */
type Session = (input: string | Key) => Promise<void>;

/**
 * A logged-in console, whatever carries it: the greeting it prints, and a session per
 * connection that answers through `write` and ends the connection with `hangUp`.
 */
interface ConsoleApp {
  banner: string;
  open(write: (text: string) => Promise<void>, hangUp: () => void): Session;
}

type Credentials = { username: string; password: string };

/**
 * The login prompts, each after a bare CR: PowerMan's APC scripts expect `\rUser Name : ` and
 * `\rPassword  : ` (the card returns the carriage before it prompts).
 */
const USER_PROMPT = "\r\n\rUser Name : ";
const PASSWORD_PROMPT = "\r\n\rPassword  : ";

/** A console on telnet: negotiation, the console's own login, then the session. */
function serveTelnet(
  device: SimulatedDevice,
  settings: { hostname: string; port: number },
  credentials: Credentials,
  app: ConsoleApp,
): SimulatorTcpServer {
  const handle = async (conn: Deno.TcpConn) => {
    const write = (text: string) => writeLatin1(conn, text);
    let open = true;
    const hangUp = () => {
      open = false;
      try {
        conn.close();
      } catch { /* already closed */ }
    };
    await write(String.fromCharCode(IAC, WILL, ECHO, IAC, WILL, SGA, IAC, DO, NAWS));
    await write(USER_PROMPT);
    const input = new ConsoleInput({ telnet: true });
    let stage: "user" | "password" | "in" = "user";
    let user = "";
    let failures = 0;
    let loggedIn: Session | undefined;
    const buffer = new Uint8Array(1024);
    while (open) {
      const n = await conn.read(buffer).catch(() => null);
      if (n === null) break;
      for (const item of input.push(buffer.subarray(0, n))) {
        if (!open) break;
        if (stage === "user") {
          if (typeof item !== "string" || item === "") {
            await write(USER_PROMPT);
            continue;
          }
          user = item;
          stage = "password";
          await write(PASSWORD_PROMPT);
        } else if (stage === "password") {
          const line = typeof item === "string" ? item : "";
          if (user === credentials.username && line === credentials.password) {
            device.record(`login ${user}`);
            stage = "in";
            loggedIn = app.open(write, hangUp);
            await write(app.banner);
          } else {
            device.record(`login refused for ${JSON.stringify(user)}`);
            if (++failures >= 3) {
              await write("\r\nConnection Closed - Bye\r\n");
              hangUp();
            } else {
              stage = "user";
              await write(USER_PROMPT);
            }
          }
        } else {
          if (typeof item === "string") device.record(`< ${item}`);
          await loggedIn!(item);
        }
      }
    }
    device.record(`negotiated ${JSON.stringify(input.negotiated)}`);
  };
  return serveSimulatorTcp(device, settings, handle);
}

/**
 * Where Debian and RHEL install ClusterLabs' `fence_apc`. Named in full: /usr/sbin is not on
 * the PATH of an unprivileged daemon.
 */
const FENCE_APC = "/usr/sbin/fence_apc";

/**
 * The PDU entry `pdud simulate` prints for a console on SSH. pdud's APC drivers speak telnet
 * only, as upstream's do, so the entry is what an upstream user does with an SSH-only card:
 * `localcmdline` running `fence_apc --ssh`. Its `--ssh-options` replace fence_apc's default
 * `-1 -c blowfish`, which today's OpenSSH refuses outright, and check the host key against the
 * simulator's known_hosts file, so nothing is read from or written to the user's ~/.ssh.
 */
function fenceApcEntry(
  host: string,
  port: number,
  credentials: Credentials,
  knownHostsFile: string,
): Record<string, unknown> {
  // One sh word each; `%` doubled because localcmdline fills `%d` with the outlet.
  const word = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`.replaceAll("%", "%%");
  const ssh = `-F /dev/null -o UserKnownHostsFile=${knownHostsFile} ` +
    "-o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes";
  const command = [
    FENCE_APC,
    "--ssh",
    `--ip=${word(host)}`,
    `--ipport=${port}`,
    `--username=${word(credentials.username)}`,
    `--password=${word(credentials.password)}`,
    `--ssh-options=${word(ssh)}`,
    "--plug=%d",
  ].join(" ");
  return {
    driver: "localcmdline",
    "cmd_on": `${command} --action=on`,
    "cmd_off": `${command} --action=off`,
  };
}

/** A running APC console simulator on SSH: the host key and a known_hosts file that has it. */
interface ApcSshSimulator extends Simulator {
  /** The host key's SHA256 fingerprint. */
  readonly hostkey: string;
  /** An OpenSSH known_hosts file naming this simulator's address and host key. */
  readonly knownHostsFile: string;
}

/** Serves `app` over the options' transport and describes it as a running Simulator. */
async function serveConsole(
  kind: string,
  device: SimulatedDevice,
  settings: {
    hostname: string;
    port: number;
    options: Credentials & { transport: "telnet" | "ssh" };
    app: ConsoleApp;
    /** The pdud driver that drives the console over telnet. */
    driver: string;
  },
): Promise<Simulator | ApcSshSimulator> {
  const { hostname, options, app } = settings;
  const credentials = { username: options.username, password: options.password };
  const common = { kind, device, pduHostname: hostname };
  if (options.transport === "telnet") {
    const server = serveTelnet(device, { hostname, port: settings.port }, credentials, app);
    const close = () => server.close();
    return {
      ...common,
      address: { hostname, port: server.port, transport: "tcp" },
      pduConfig: () => ({ driver: settings.driver, telnetport: server.port, ...credentials }),
      close,
      [Symbol.asyncDispose]: close,
    };
  }
  const server = await serveConsoleOverSsh(device, { hostname, port: settings.port }, {
    ...credentials,
    banner: app.banner,
    open(write, hangUp) {
      const input = new ConsoleInput({ telnet: false });
      let open = true;
      const session = app.open(write, () => {
        open = false;
        hangUp();
      });
      return async (bytes) => {
        for (const item of input.push(bytes)) {
          if (!open) return;
          if (typeof item === "string") device.record(`< ${item}`);
          await session(item);
        }
      };
    },
  });
  const close = () => server.close();
  return {
    ...common,
    hostkey: server.hostkey,
    knownHostsFile: server.knownHostsFile,
    address: { hostname, port: server.port, transport: "tcp" },
    pduConfig: () => fenceApcEntry(hostname, server.port, credentials, server.knownHostsFile),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Sends a console reply, or hangs up, or (for "hang") sends nothing. */
async function answer(
  reply: ConsoleReply,
  write: (text: string) => Promise<void>,
  hangUp: () => void,
): Promise<void> {
  if (reply === "hangup") hangUp();
  else if (reply !== "hang") await write(reply);
}

/** The Control Console of a menu model. */
function menuConsole(model: MenuModel, device: SimulatedDevice): ConsoleApp {
  const root = menus(model, device);
  // The AP9210's v1 firmware ends its confirmation with "successfully!" (PowerMan's apcold.dev
  // waits for that; the words before it are not known), later firmware with "Command
  // successfully issued." (apcnew.dev, fence_apc, PDUDaemon).
  const done = model === "apc9210"
    ? "Command issued successfully!"
    : "Command successfully issued.";
  return {
    banner: `\r\n\r\nAmerican Power Conversion               Network Management Card AOS\r\n` +
      draw(root)[0],
    open(write, hangUp) {
      const stack: Menu[] = [root];
      let confirming: Extract<Action, { switch: string }> | undefined;
      let paging: Menu | undefined;
      /** The screens of the menu on display still to come, one per ENTER. */
      let screens: string[] = [];
      const redraw = async (menu: Menu) => {
        screens = draw(menu);
        await write(screens.shift()!);
      };
      const show = async (menu: Menu) => {
        if (menu.pager) {
          paging = menu;
          await write(`\r\n${menu.pager}${MORE}`);
        } else await redraw(menu);
      };
      return async (input) => {
        // ENTER shows the next screen; ESC or CTRL-C leaves the menu (and the rest unseen).
        if (screens.length > 0 && typeof input === "string") {
          return void await write(screens.shift()!);
        }
        screens = [];
        if (paging) {
          const menu = paging;
          paging = undefined;
          if (input === "") return void await redraw(menu);
          return;
        }
        if (confirming) {
          const action = confirming;
          confirming = undefined;
          if (input !== "YES") {
            await write("\r\nCommand cancelled.\r\n");
            return await redraw(stack.at(-1)!);
          }
          device.record(`${action.title} outlet ${action.outlet}`);
          return await answer(
            await consoleFault(
              device,
              "\r\n Outlet is locked: command failed.\r\n\r\nPress <ENTER> to continue...",
              () => {
                if (action.switch !== "cancel") device.set(action.outlet, action.switch);
                return `\r\n ${done}\r\n\r\nPress <ENTER> to continue...`;
              },
            ),
            write,
            hangUp,
          );
        }
        if (typeof input !== "string") {
          // ESC goes up one menu; CTRL-C back to the Control Console, as the firmware does.
          if (input.key === "ctrl-c") stack.length = 1;
          else if (stack.length > 1) stack.pop();
          return await redraw(stack.at(-1)!);
        }
        const menu = stack.at(-1)!;
        const items = menu.items();
        const choice = /^\d+$/.test(input) ? items[Number(input) - 1] : undefined;
        const next = choice?.[1]();
        if (next === undefined) return await redraw(menu);
        if (isMenu(next)) {
          stack.push(next);
          return await show(next);
        }
        if ("logout" in next) {
          await write("\r\nBye.\r\n\r\nConnection Closed - Bye\r\n");
          return hangUp();
        }
        confirming = next;
        await write(
          `\r\n\r\n------- ${next.title} `.padEnd(83, "-") +
            `\r\n\r\n     This command will ${
              next.switch === "cancel"
                ? "cancel all pending commands on"
                : `immediately turn ${next.switch}`
            }` +
            ` outlet ${next.outlet}.\r\n\r\nEnter 'YES' to continue or <ENTER> to cancel : `,
        );
      };
    },
  };
}

/** The `apc>` command line of AOS v6. */
function cliConsole(device: SimulatedDevice): ConsoleApp {
  // AOS takes `all`, a number, a range or a comma list of them ("1,3-5").
  const outlets = (text: string): number[] | undefined => {
    if (text === "all") return device.outlets();
    const picked: number[] = [];
    for (const part of text.split(",")) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(part);
      if (!m) return undefined;
      const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
      if (to < from || !device.has(from) || !device.has(to)) return undefined;
      for (let n = from; n <= to; n++) picked.push(n);
    }
    return picked;
  };
  const known: Record<string, "on" | "off" | "status"> = {
    olOn: "on",
    olOff: "off",
    olStatus: "status",
  };
  const prompt = "\r\napc>";
  return {
    // The banner names the firmware; clients such as fence_apc pick the CLI dialect by it.
    banner:
      "\r\n\r\nSchneider Electric                      Network Management Card AOS      v6.8.2" +
      "\r\n(c) Copyright 2016 All Rights Reserved  RPDU 2g                          v6.8.2" +
      "\r\n" + "-".repeat(79) +
      "\r\nName      : apc-sim                                   User : Administrator" +
      "\r\n\r\nType ? for command listing\r\nUse tcpip command for IP address(-i), subnet(-s), " +
      "and gateway(-g)\r\n\r\napc>",
    open: (write, hangUp) => async (input) => {
      if (typeof input !== "string") return;
      const [command = "", ...args] = input.trim().split(/\s+/);
      if (command === "") return await write(prompt);
      if (command === "exit" || command === "quit" || command === "bye") {
        await write("\r\nBye.\r\n");
        return hangUp();
      }
      const what = known[command];
      if (!what) return await write(`\r\nE101: Command Not Found${prompt}`);
      const selected = args.length === 1 ? outlets(args[0]!) : undefined;
      if (!selected) return await write(`\r\nE102: Parameter Error${prompt}`);
      await answer(
        await consoleFault(device, `\r\nE200: Input Error${prompt}`, () => {
          let status = "";
          for (const n of selected) {
            if (what !== "status") device.set(n, what);
            const state = device.get(n) === "on" ? "On" : "Off";
            if (what === "status") status += ` ${n}: Outlet ${n}: ${state}\r\n`;
          }
          return `\r\nE000: Success\r\n${status}${prompt}`;
        }),
        write,
        hangUp,
      );
    },
  };
}

/** `apc-telnet`: the Control Console menus of an APC switched PDU (`model` picks the layout). */
export const APC_TELNET: SimulatorKind<MenuOptions> = {
  name: "apc-telnet",
  summary: "APC switched PDU Control Console menus on telnet, or SSH with transport: ssh " +
    "(model: apc7952 apc7921 apc7932 apc7900 apc7920 apc9218 apc9606 apc9210 …)",
  options: MENU_OPTIONS,
  start(device, { options, hostname, port }) {
    return serveConsole("apc-telnet", device, {
      hostname,
      port,
      options,
      app: menuConsole(options.model, device),
      driver: options.model,
    });
  },
};

/** `apc-cli`: the `apc>` command line of an AP8959-class rack PDU. */
export const APC_CLI: SimulatorKind<CliOptions> = {
  name: "apc-cli",
  summary: "APC AP8959-class rack PDU command line (apc> olOn/olOff/olStatus N) on telnet, " +
    "or SSH with transport: ssh",
  options: CLI_OPTIONS,
  start(device, { options, hostname, port }) {
    return serveConsole("apc-cli", device, {
      hostname,
      port,
      options,
      app: cliConsole(device),
      driver: "apc8959",
    });
  },
};
