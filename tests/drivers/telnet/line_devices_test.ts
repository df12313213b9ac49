import { type DriverRow, driverSuite } from "../../_helpers/driver_suite.ts";

// A console that prints garbage and never its prompt leaves the driver waiting: a hang.
const SILENT = { silentFaults: ["garbage"] } as const;

const ROWS: DriverRow[] = [
  {
    driver: "netio4",
    kind: "netio-kshell",
    device: { outlets: 8 },
    conformance: SILENT,
    options: { username: "netio", password: "kshell-pass" },
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
    error: /NETIO at 127\.0\.0\.1:\d+ refused "port 1 1": 550 PORT BUSY/,
    badReason: /refused the login of user "netio": 503 INVALID LOGIN/,
  },
  {
    driver: "gude1202",
    kind: "gude-telnet",
    device: { outlets: 8 },
    conformance: SILENT,
    error: /Gude 1202 at 127\.0\.0\.1:\d+ refused "port 1 state set 1": Error: port locked/,
  },
  {
    driver: "synnetbooter",
    kind: "synaccess-telnet",
    device: { outlets: 8 },
    conformance: SILENT,
    options: { username: "lab", password: "np08b-pass" },
    bad: (sim) => ({ ...sim.pduConfig(), password: "wrong" }),
    error: /netBooter at 127\.0\.0\.1:\d+ refused "pset 1 1": Error: outlet is locked/,
    badReason: /refused the login of user "lab": Invalid Login/,
  },
];

driverSuite(ROWS);
