/**
 * HOST, HOST:PORT, [V6] and [V6]:PORT, read one way by every command (`--daemon`, `--listen`).
 * A bare IPv6 address (two colons or more, no brackets) is a host without a port, as curl and
 * ssh read it.
 * @module
 */

/** A host and port. */
export interface HostPort {
  hostname: string;
  port: number;
}

/**
 * Parses `text`; the port defaults to `defaultPort` when the text has none.
 * @throws TypeError naming what was wrong and what was expected
 */
export function parseHostPort(
  text: string,
  defaultPort: number,
  options: { allowPortZero?: boolean } = {},
): HostPort {
  const expected = "expected HOST, HOST:PORT or [IPv6]:PORT";
  let hostname: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    hostname = bracketed[1]!;
    portText = bracketed[2];
    if (!hostname.includes(":")) {
      throw new TypeError(`"${text}": brackets are for IPv6; ${expected}`);
    }
  } else if (text.startsWith("[")) {
    throw new TypeError(`"${text}": no closing "]"; ${expected}`);
  } else if ((text.match(/:/g) ?? []).length >= 2) {
    hostname = text;
  } else {
    const colon = text.indexOf(":");
    hostname = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
  }
  if (hostname === "") throw new TypeError(`"${text}": no host; ${expected}`);
  if (/[\s/?#@]/.test(hostname)) throw new TypeError(`"${text}": not a host name; ${expected}`);
  const port = portText === undefined ? defaultPort : parsePort(portText, options);
  if (port === undefined) {
    throw new TypeError(
      `"${text}": port "${portText}" is not a number from ${
        options.allowPortZero ? 0 : 1
      } to 65535`,
    );
  }
  return { hostname, port };
}

/** A TCP port from text (0 only when `allowPortZero`: "any free port", for a listener). */
export function parsePort(
  text: string,
  options: { allowPortZero?: boolean } = {},
): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 && (port > 0 || options.allowPortZero) ? port : undefined;
}

/** `host:port`, with IPv6 hosts in brackets: for URLs and messages. */
export function formatHostPort({ hostname, port }: HostPort): string {
  return `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}

/** pdud's (and pdudaemon's) port, where `--daemon` names none. */
export const DEFAULT_DAEMON_PORT = 16421;

/**
 * `--daemon HOST[:PORT]` with the older `--daemon-port N`: the address, or a message saying what
 * is wrong (the port given twice, or not a port).
 */
export function daemonAddress(daemon: string, daemonPort: string | undefined): HostPort | string {
  let fallback = DEFAULT_DAEMON_PORT;
  if (daemonPort !== undefined) {
    const port = parsePort(daemonPort);
    if (port === undefined) return `Invalid --daemon-port ${daemonPort}: expected 1 to 65535`;
    fallback = port;
  }
  let address: HostPort;
  try {
    address = parseHostPort(daemon, fallback);
  } catch (error) {
    return `Invalid --daemon ${(error as Error).message}`;
  }
  if (daemonPort !== undefined && address.port !== fallback) {
    return `--daemon ${daemon} names port ${address.port} but --daemon-port says ${fallback}; ` +
      "give the port once";
  }
  return address;
}
