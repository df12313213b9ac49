/**
 * APC switched PDUs over telnet, upstream's names and keys (`telnetport` default 23, `username`
 * and `password` default "apc").
 *
 * The menu models (`apc7900 apc7920 apc7921 apc7932 apc7952 apc9210 apc9218 ap9218 apc9606
 * ap9606`) use APC's "Control Console": numbered menus ending in a `> ` prompt, ESC to go up.
 * Firmware versions differ in where outlet control sits, so rather than typing fixed digits as
 * upstream does, pdud walks a path of menu *labels* per model and picks each item's number from
 * the menu the PDU just drew — a renumbered menu then fails with the label it could not find
 * instead of switching the wrong thing. Every command ends with APC's confirmation
 * (`Enter 'YES' to continue`) and is only counted done once the PDU says it was issued.
 *
 * `apc8959` (AP8959 and other rack PDUs with the `apc>` command line): `olOn N` / `olOff N`,
 * success is `E000: Success`; `olStatus N` reads the outlet.
 * @module
 */
import { z } from "zod";
import { portNumber } from "../_options.ts";
import type { Driver, DriverDescriptor, OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";
import { Session } from "../_transport/session.ts";

const OPTIONS = z.object({
  "telnetport": portNumber(23),
  "username": z.string().min(1).default("apc"),
  "password": z.string().default("apc"),
}).strict();
type Options = z.infer<typeof OPTIONS>;

const OUTLET = Symbol("outlet");
const ACTION = Symbol("action");
type Step = string | typeof OUTLET | typeof ACTION;

/** AOS v3 rack PDUs: Outlet Management, then the outlet's Control Outlet menu. */
const AOS_V3: Step[] = [
  "Device Manager",
  "Outlet Management",
  "Outlet Control/Configuration",
  OUTLET,
  "Control Outlet",
  ACTION,
];

/** Menu paths per model, from the main menu to the outlet's immediate on/off commands. */
const PATHS: Record<string, Step[]> = {
  apc7952: AOS_V3,
  apc7921: AOS_V3,
  // Upstream's apc7932 goes from the outlet straight to Immediate On/Off; fence_apc, PowerMan
  // and APC's AP79xx guide show a "Control Outlet" menu between. Either is taken (see below).
  apc7932: AOS_V3,
  apc7900: ["Device Manager", "Outlet Control/Configuration", OUTLET, "Control Outlet", ACTION],
  apc7920: ["Device Manager", "Outlet Control/Configuration", OUTLET, "Control Outlet", ACTION],
  apc9218: ["Device Manager", OUTLET, "Control Outlet", ACTION],
  apc9210: ["Outlet Manager", OUTLET, "Control of Outlet", ACTION],
};
PATHS.ap9218 = PATHS.apc9218!;
PATHS.apc9606 = PATHS.apc9218!;
PATHS.ap9606 = PATHS.apc9218!;

const ACTIONS: Record<OutletState, RegExp> = {
  on: /^\s*(\d+)- (Immediate On|Turn Outlet On)\b/m,
  off: /^\s*(\d+)- (Immediate Off|Turn Outlet Off)\b/m,
};
const PROMPT = /\r?\n> $/;
const PAGER = "Press <ENTER> to continue...";
const CONFIRM = "Enter 'YES' to continue or <ENTER> to cancel :";

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Logs in to the console; shared by the menu and CLI models. */
async function login(
  session: Session,
  options: Options,
  signal: AbortSignal,
  loggedIn: (string | RegExp)[],
): Promise<void> {
  const device = session.target.device;
  await session.send("\r", signal);
  await session.expect(["User Name :"], 'the "User Name :" prompt', signal);
  await session.send(`${options.username}\r`, signal);
  await session.expect(["Password  :"], 'the "Password  :" prompt', signal);
  await session.send(`${options.password}\r`, signal);
  const m = await session.expect(
    [...loggedIn, "User Name :", /Connection Closed|Bye/i],
    "the console after login",
    signal,
  );
  if (m.index >= loggedIn.length) {
    throw new DriverError("auth", `${device} refused the login of user "${options.username}"`);
  }
}

/** Reads one full menu (up to its `> ` prompt), pressing ENTER through pagers. */
async function readMenu(session: Session, signal: AbortSignal): Promise<string> {
  let text = "";
  for (;;) {
    const m = await session.expect([PROMPT, PAGER], 'a menu\'s "> " prompt', signal);
    text += m.before;
    if (m.index === 0) return text;
    await session.send("\r", signal);
  }
}

function menuCreate(model: string) {
  const path = PATHS[model]!;
  return (hostname: string, { options }: { options: Options }): Driver => {
    const device = `APC ${model} at ${hostname}:${options.telnetport}`;
    let session: Session | undefined;
    const drop = async () => {
      const s = session;
      session = undefined;
      await s?.close();
    };

    const choose = async (menu: string, pattern: RegExp, what: string, signal: AbortSignal) => {
      const m = pattern.exec(menu);
      if (!m) {
        throw new DriverError(
          "protocol",
          `${device}: the menu has no ${what}; it shows: ${
            JSON.stringify(menu.trim().split(/\r?\n/).slice(-12).join(" | "))
          }`,
        );
      }
      await session!.send(`${m[1]}\r`, signal);
    };

    return {
      async setOutlet(outlet, state, { signal }) {
        // A fresh session per command: the console allows one user at a time, and a logout
        // at the end frees it for the PDU's own web UI and for other tools.
        await drop();
        session = await Session.open(
          { host: hostname, port: options.telnetport, device, telnet: true },
          signal,
        );
        try {
          await login(session, options, signal, [PROMPT]);
          await session.send("\r", signal); // redraw: the menu text before login was eaten
          let menu = await readMenu(session, signal);
          for (const step of path) {
            if (step === OUTLET) {
              await choose(
                menu,
                new RegExp(`^\\s*(${outlet})- `, "m"),
                `outlet ${outlet} (is the outlet number right for this PDU?)`,
                signal,
              );
            } else if (step === ACTION) {
              await choose(
                menu,
                ACTIONS[state],
                `"Immediate ${state === "on" ? "On" : "Off"}"`,
                signal,
              );
              break;
            } else if (
              path[path.indexOf(step) + 1] === ACTION && ACTIONS[state].test(menu) &&
              !new RegExp(`^\\s*\\d+- ${escape(step)}`, "m").test(menu)
            ) {
              // The outlet's own menu already offers the command: no submenu to enter.
              continue;
            } else {
              await choose(
                menu,
                new RegExp(`^\\s*(\\d+)- ${escape(step)}`, "m"),
                `"${step}"`,
                signal,
              );
            }
            menu = await readMenu(session, signal);
          }
          const answer = await session.expect(
            [CONFIRM, PROMPT],
            `the confirmation of outlet ${outlet} ${state}`,
            signal,
          );
          if (answer.index !== 0) {
            throw new DriverError(
              "device",
              `${device} did not offer to switch outlet ${outlet} ${state}: ${
                JSON.stringify(answer.before.trim().slice(-200))
              }`,
            );
          }
          await session.send("YES\r", signal);
          const done = await session.expect(
            [PAGER, PROMPT],
            `the result of outlet ${outlet} ${state}`,
            signal,
          );
          // "Command successfully issued." on AOS; the AP9210's v1 firmware ends with
          // "successfully!" (PowerMan's apcold.dev waits for that).
          if (!/Command successfully issued|successfully!/i.test(done.before)) {
            throw new DriverError(
              "device",
              `${device} did not switch outlet ${outlet} ${state}: ${
                JSON.stringify(done.before.trim().slice(-200))
              }`,
            );
          }
          if (done.index === 0) await session.send("\r", signal);
          await logout(session, signal);
        } finally {
          await drop();
        }
      },
      close: drop,
    };
  };
}

/** ESC up to the main menu, then its Logout item; a PDU that hangs up first is fine too. */
async function logout(session: Session, signal: AbortSignal): Promise<void> {
  for (let i = 0; i < 8; i++) {
    const menu = await readMenu(session, signal);
    const m = /^\s*(\d+)- Logout/m.exec(menu);
    if (m) {
      await session.send(`${m[1]}\r`, signal);
      return;
    }
    await session.send("\x1b", signal);
  }
}

function menuDescriptor(model: string): DriverDescriptor<Options> {
  return {
    names: [model],
    summary: `APC ${model.replace(/^apc?/, "AP")} switched PDU over telnet (Control Console menus)`,
    options: OPTIONS,
    create: menuCreate(model),
  };
}

/** The APC console menu models. */
export const APC_MENU_DRIVERS: DriverDescriptor<Options>[] = Object.keys(PATHS).map(
  menuDescriptor,
);

/** `apc8959`: the `apc>` command line of current rack PDUs. */
export const APC8959: DriverDescriptor<Options> = {
  names: ["apc8959"],
  summary: "APC AP8959 and other rack PDUs over telnet (apc> command line: olOn/olOff/olStatus)",
  options: OPTIONS,
  create(hostname, { options }) {
    const device = `APC apc8959 at ${hostname}:${options.telnetport}`;
    let session: Session | undefined;
    const drop = async () => {
      const s = session;
      session = undefined;
      await s?.close();
    };
    // The CLI session is kept between commands; any failure drops it and the next logs in again.
    const run = async (command: string, signal: AbortSignal): Promise<string> => {
      try {
        if (!session) {
          session = await Session.open(
            { host: hostname, port: options.telnetport, device, telnet: true },
            signal,
          );
          await login(session, options, signal, ["apc>"]);
        }
        await session.send(`${command}\r`, signal);
        const m = await session.expect(["apc>"], `the apc> prompt after "${command}"`, signal);
        const code = /E(\d{3}): ([^\r\n]*)/.exec(m.before);
        if (!code) {
          throw new DriverError(
            "protocol",
            `${device} answered "${command}" without a status code: ${
              JSON.stringify(m.before.trim().slice(-200))
            }`,
          );
        }
        if (code[1] !== "000") {
          throw new DriverError(
            "device",
            `${device} refused "${command}": E${code[1]}: ${code[2]}`,
          );
        }
        return m.before;
      } catch (error) {
        await drop();
        throw error;
      }
    };
    return {
      async setOutlet(outlet, state, { signal }) {
        await run(`${state === "on" ? "olOn" : "olOff"} ${outlet}`, signal);
      },
      async getOutlet(outlet, { signal }) {
        const text = await run(`olStatus ${outlet}`, signal);
        const m = new RegExp(`^\\s*${outlet}:[^\\r\\n]*:\\s*(On|Off)\\s*$`, "mi").exec(text);
        if (!m) {
          throw new DriverError(
            "protocol",
            `${device} olStatus ${outlet} has no On/Off line: ${JSON.stringify(text.trim())}`,
          );
        }
        return m[1]!.toLowerCase() === "on" ? "on" : "off";
      },
      async close() {
        if (session) {
          await session.send("exit\r", AbortSignal.timeout(500)).catch(() => {});
        }
        await drop();
      },
    };
  },
};
