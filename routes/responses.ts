/**
 * The one mapping from a job result to what each protocol answers: upstream's HTTP bodies,
 * the JSON API's statuses, and the legacy ack/nack.
 * @module
 */
import type { JobResult } from "../actors/mod.ts";
import type { OutletId } from "../drivers/mod.ts";

/** Upstream's success body, byte for byte. */
export const UPSTREAM_OK = "OK - accepted request\n";

/** A plain-text 503 with a one-line reason (upstream's documented failure status). */
export function upstreamRefusal(reason: string, headers: HeadersInit = {}): Response {
  return new Response(`${oneLine(reason)}\n`, {
    status: 503,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/** Result → upstream HTTP response. */
export function upstreamResponse(result: JobResult): Response {
  if (result.status === "done") {
    return new Response(UPSTREAM_OK, {
      status: 200,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  return upstreamRefusal(result.reason, retryHeaders(result));
}

/** Seconds a client is told to wait before retrying a passing refusal. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * The `Retry-After` header of a result whose cause passes on its own (a full queue, a cluster
 * journal that cannot record the job), for the upstream routes and the JSON API alike; none for
 * any other result.
 */
export function retryHeaders(result: JobResult): Record<string, string> {
  return result.status === "refused" &&
      (result.kind === "queue_full" || result.kind === "cluster_unavailable")
    ? { "retry-after": String(RETRY_AFTER_SECONDS) }
    : {};
}

/**
 * The `Retry-After` header of several results answered as one (a group, an outlet list): the
 * longest wait among the failures when every failure is a passing refusal, else none. A member
 * that failed for any other reason (a device error) is not fixed by retrying soon, so the answer
 * as a whole does not invite it.
 */
export function retryHeadersOfAll(results: readonly JobResult[]): Record<string, string> {
  const failures = results.filter((r) => r.status !== "done");
  const waits = failures.map((r) => retryHeaders(r)["retry-after"]);
  if (failures.length === 0 || waits.some((w) => w === undefined)) return {};
  return { "retry-after": String(Math.max(...waits.map(Number))) };
}

/** Result of a get-status job → upstream-style body: the state word ("on"/"off"). */
export function upstreamStatusResponse(result: JobResult): Response {
  if (result.status !== "done") return upstreamResponse(result);
  if (result.state === null) {
    return upstreamRefusal(`state of outlet ${result.outlet} of "${result.pdu}" is unknown`);
  }
  return new Response(`${result.state}\n`, {
    status: 200,
    headers: { "content-type": "text/plain; charset=utf-8", "x-pdud-state-source": result.source },
  });
}

/**
 * Result of a get-port-state job → pdudaemon#219's reply: `200 application/json` with
 * `{"state": "on"}` byte for byte as its aiohttp handler writes it (a space after the colon and
 * a newline). Failures are pdud's usual 503 with a reason (the PR answers 500).
 */
export function upstreamPortStateResponse(result: JobResult): Response {
  if (result.status !== "done") return upstreamResponse(result);
  if (result.state === null) {
    return upstreamRefusal(`state of outlet ${result.outlet} of "${result.pdu}" is unknown`);
  }
  return new Response(`{"state": "${result.state}"}\n`, {
    status: 200,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "x-pdud-state-source": result.source,
    },
  });
}

/**
 * Results of a group request → one upstream response: upstream's 200 body when every member
 * succeeded, else a 503 whose one line names each failed member and why (with `Retry-After`
 * when every failure passes on its own).
 */
export function upstreamGroupResponse(
  group: string,
  members: readonly { pdu: string; outlet: OutletId; alias?: string | undefined }[],
  results: readonly JobResult[],
): Response {
  const failures: string[] = [];
  results.forEach((result, i) => {
    if (result.status === "done") return;
    const m = members[i];
    const who = m === undefined
      ? "?"
      : `${m.alias === undefined ? "" : `alias "${m.alias}" `}(PDU "${m.pdu}" outlet ${m.outlet})`;
    failures.push(`${who}: ${result.reason}`);
  });
  if (failures.length === 0) return upstreamResponse(results[0]!);
  const line = `group "${group}": ${failures.length} of ${results.length} outlets failed: ${
    failures.join("; ")
  }`;
  // Longer than a single reason may be: every failed member is named.
  return new Response(`${oneLine(line, 16_384)}\n`, {
    status: 503,
    headers: { "content-type": "text/plain; charset=utf-8", ...retryHeadersOfAll(results) },
  });
}

/** HTTP status of a result in the JSON API. */
export function apiStatus(result: JobResult): 200 | 404 | 409 | 501 | 502 | 503 | 504 | 400 {
  if (result.status === "done") return 200;
  if (result.status === "refused") {
    if (result.kind === "unknown_pdu") return 404;
    if (result.kind === "bad_outlet") return 400;
    if (result.kind === "not_supported") return 501;
    // queue_full, cluster_unavailable (both with Retry-After), pdu_failed, shutting_down…
    return 503;
  }
  return result.kind === "timeout" ? 504 : result.kind === "shutdown" ? 503 : 502;
}

/**
 * What the legacy TCP client reads for an HTTP response of the shared app: ack/nack, or for a
 * get-status or get-port-state line the state word itself ("on\n"/"off\n").
 */
export async function legacyReply(response: Response): Promise<string> {
  if (response.ok && response.headers.has("x-pdud-state-source")) {
    const text = await response.text();
    // get-port-state answers JSON over HTTP; pdudaemon#219's TCP reply is the bare word.
    if (response.headers.get("content-type")?.startsWith("application/json")) {
      const state = (JSON.parse(text) as { state?: unknown }).state;
      return state === "on" || state === "off" ? `${state}\n` : "nack\n";
    }
    return text;
  }
  return response.ok ? "ack\n" : "nack\n";
}

function oneLine(text: string, max = 500): string {
  return text.replace(/[\r\n]+/g, " ").slice(0, max);
}
