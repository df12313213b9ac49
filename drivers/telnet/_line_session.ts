/**
 * What the line-protocol consoles of this family share: each command uses a fresh connection
 * that is closed afterwards, whatever happened.
 * @module
 */
import { ExpectSession } from "../_transport/expect.ts";

/** Runs `work` on a fresh session and always closes it. */
export async function withSession<T>(
  host: string,
  tcpPort: number,
  device: string,
  telnet: boolean,
  signal: AbortSignal,
  work: (s: ExpectSession) => Promise<T>,
): Promise<T> {
  const session = await ExpectSession.open({ host, port: tcpPort, device, telnet }, signal);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}
