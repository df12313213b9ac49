/** Help texts of every command, kept beside each other so they stay consistent with the README. */

/** Help per command. */
export const HELP = {
  main: `pdud — a power-control daemon for board farms (a drop-in for PDUDaemon)

Usage:
  pdud [--conf FILE] [--listen HOST:PORT | --hostname HOST --port PORT] [--listener both|http|tcp]
       [--loglevel LEVEL] [--logfile FILE|-] [--log-format text|json]
  pdud --drive [--conf FILE] (--hostname PDU --port OUTLET | --alias ALIAS) --request on|off|reboot|get-port-state
       [--delay SECONDS] [--retries N] [--retry-delay SECONDS]
  pdud client --daemon HOST[:PORT] --hostname PDU --port OUTLET --command on|off|reboot|get-port-state [--delay S] [--http]
  pdud status [--daemon HOST[:PORT]] [--token TOKEN] [--json] [--pdu NAME]
  pdud simulate --config FILE [--listen HOST:PORT]
  pdud check-config FILE

Without --conf, pdud runs its embedded demo config: simulated PDUs on 127.0.0.1:16421
(--port or --listen moves it).

Daemon options:
  -c, --conf FILE       YAML or JSON config (upstream pdudaemon.conf works unchanged)
      --listen HOST:PORT  where to listen, over the config's daemon.hostname and daemon.port
                        ([::1]:16421 for IPv6; port 0 = any free port; HOST alone keeps the port)
      --hostname HOST   the same, address only (outside --drive, where it names the PDU)
      --port PORT       the same, port only (outside --drive, where it names the outlet)
      --listener MODE   both (default: HTTP and legacy TCP on one port), http or tcp
      --loglevel LEVEL  DEBUG, INFO, WARN or ERROR (default: the config's logging_level)
      --logfile FILE    append log lines to FILE ("-" = stdout; default stderr)
      --log-format F    text or json (default: text on a terminal, JSON otherwise)
  -j, --journal         accepted for upstream compatibility (logs go to stderr, which journald reads)
  -d, --dbfile FILE     accepted for upstream compatibility and ignored (queues live in memory)
Drive mode (one command, no daemon):
      --drive           run one request and exit (0 done, 1 failed)
      --hostname PDU    the PDU's name in the config
      --port OUTLET     the outlet number (or name, for drivers that name outlets)
      --alias ALIAS     instead of --hostname/--port
      --request R       on, off, reboot or get-port-state
      --delay S         reboot: seconds between off and on (default 5); on/off: wait first
      --retries N       attempts in all (default: the PDU's retries)
      --retry-delay S   seconds between attempts
Other:
  -h, --help            this text;  pdud COMMAND --help for a command's
      --version         print the version

Signals: SIGTERM/SIGINT stop (finishing half-done reboots), SIGHUP reloads --conf (tokens,
networks and log level at once; a changed address, port, listener or TLS is refused: restart).
Exit codes: 0 ok, 1 failure, 2 usage error, 3 invalid config (or a file or variable it names
is missing), 4 cannot listen (address in use or not this host's).`,
  client: `pdud client — pduclient-compatible client

Usage:
  pdud client --daemon HOST[:PORT] --hostname PDU --port OUTLET --command on|off|reboot|get-port-state [--delay S] [--http]

  --daemon HOST[:PORT]  the pdud (or pdudaemon) host, e.g. 127.0.0.1:17001 or [::1]:17001
  --daemon-port N     its port, if --daemon names none (default 16421)
  --hostname PDU      the PDU's name
  --port OUTLET       outlet number, or a range/list such as 1-4,7 (one request each, in order),
                      or an outlet name (board-a) for drivers that name outlets
  --command C         on, off, reboot, or get-port-state (prints "Port state: on")
  --delay S           reboot delay / wait before on or off
  -H, --http          use HTTP instead of the legacy TCP protocol
      --api           use pdud's JSON API: one request for all outlets, each outcome printed
      --token TOKEN   bearer token for --http/--api (or PDUD_TOKEN)

Exit codes (as pduclient): 0 sent, 1 connection error or bad usage, 127 refused.`,
  simulate: `pdud simulate — run simulated PDUs that speak real device protocols

Usage:
  pdud simulate --config FILE [--listen HOST:PORT]

FILE (YAML) maps names to simulators:
  simulators:
    rack1:
      kind: tasmota            # see the list below
      port: 0                  # 0 = any free port
      outlets: 8
      latency_ms: 0
      fault: none              # none refuse error drop hang garbage flap

Prints each simulator's address (as comments) and a pdud config that drives them all, then runs
until SIGINT/SIGTERM. The output is a config as printed: save it and run pdud --conf FILE. Its
daemon section listens on 127.0.0.1:16421, or where --listen says.`,
  status: `pdud status — the PDUs of a running pdud

Usage:
  pdud status [--daemon HOST[:PORT]] [--daemon-port N] [--token TOKEN] [--json] [--pdu NAME]

Prints each PDU's driver, state (idle, busy, failed, unavailable, stopping), queue depth,
restarts, the outlets pdud has switched on, and the last error. With --pdu NAME, reads every
outlet of that PDU from the device (one exchange where its protocol allows) and prints its
state, and its name and power where the device reports them. The token may also come from
PDUD_TOKEN. Exit codes: 0 all usable (or read), 1 a PDU has failed (or could not be read),
2 pdud unreachable or refused.`,
  "check-config": `pdud check-config — validate a config file

Usage:
  pdud check-config FILE

Runs the checks a start runs — the config itself, token secret_env variables (in this
environment), TLS files, the audit log's directory — and tries the listen address. Prints
"FILE: OK …" (with a note if the port is in use now, e.g. by the running pdud) and exits 0, or
lists every problem with its path and line and exits 3.`,
} as const;

/** A usage error line that points at --help. */
export function usageError(message: string): string {
  return `pdud: ${message}\nTry 'pdud --help' for more information.`;
}
