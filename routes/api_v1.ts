/**
 * pdud's own JSON API under /api/v1, declared with @hono/zod-openapi so that the OpenAPI
 * document at /api/v1/openapi.json is generated from the same zod schemas that validate the
 * requests. Errors are JSON with a precise status.
 * @module
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import {
  ALL_OUTLETS,
  type PduCommand,
  type PowerControl,
  type ReloadReport,
  ShuttingDownError,
  SLOT_STATES,
} from "../actors/mod.ts";
import { type ConfigIssue, parseOutlet, parseOutletList } from "../config/mod.ts";
import { OUTLET_NAME_RULE, type OutletId } from "../drivers/mod.ts";
import type { AppEnv } from "./env.ts";
import type { JobStore } from "./jobs.ts";
import { DEFAULT_REBOOT_DELAY, MAX_DELAY } from "./params.ts";
import { apiStatus, RETRY_AFTER_SECONDS, retryHeaders, retryHeadersOfAll } from "./responses.ts";

/** What the API needs besides PowerControl. */
export interface ApiOptions {
  jobs: JobStore;
  /** Re-reads the config file and applies it; throws ConfigError, or Error when impossible. */
  reload?: () => Promise<ReloadReport>;
}

const ErrorBody = z.object({
  error: z.string().openapi({ example: 'no PDU named "apc99"' }),
  kind: z.string().optional(),
  issues: z.array(z.object({ path: z.string(), message: z.string(), line: z.number().optional() }))
    .optional(),
}).openapi("Error");

const Outlet = z.object({ state: z.enum(["on", "off"]), at: z.string() });
/** An outlet in a reply: its number, or its name for drivers that name outlets. */
const OutletIdSchema = z.union([z.number().int(), z.string()]).openapi({
  description: "the outlet number, or its name (drivers that name outlets: localcmdline, tplink)",
});
const Pdu = z.object({
  name: z.string(),
  driver: z.string(),
  state: z.enum(["idle", "busy", "failed", "unavailable", "stopping"]),
  slot: z.enum(SLOT_STATES).openapi({
    description: "the PDU's lifecycle state (docs/architecture.md)",
  }),
  queueDepth: z.number().int(),
  queueLimit: z.number().int(),
  restarts: z.number().int(),
  lastError: z.string().nullable(),
  outlets: z.record(z.string(), Outlet),
  outletRange: z.object({ min: z.number().int(), max: z.number().int() }).nullable().openapi({
    description:
      "the outlet numbers the driver accepts (its outletRange); null when it declares none",
  }),
}).openapi("Pdu");

const Result = z.object({
  status: z.enum(["done", "failed", "refused"]),
  jobId: z.string().optional(),
  pdu: z.string(),
  outlet: OutletIdSchema.optional(),
  state: z.enum(["on", "off"]).nullable().optional(),
  source: z.enum(["device", "commanded"]).optional(),
  kind: z.string().optional(),
  reason: z.string().optional(),
}).openapi("JobResult");

const Job = z.object({
  id: z.string(),
  pdu: z.string(),
  outlet: OutletIdSchema,
  command: z.string(),
  status: z.enum(["pending", "done", "failed", "refused"]),
  result: Result.optional(),
}).openapi("Job");

const Group = z.object({
  name: z.string(),
  members: z.array(z.object({
    pdu: z.string(),
    outlet: OutletIdSchema,
    alias: z.string().optional().openapi({
      description: "the alias this outlet came from (upstream's alias `group` key)",
    }),
  })),
}).openapi("Group");

const Alias = z.object({
  name: z.string(),
  pdu: z.string(),
  outlet: OutletIdSchema,
}).openapi("Alias");

const OutletState = z.object({
  pdu: z.string(),
  outlet: OutletIdSchema,
  state: z.enum(["on", "off"]).nullable(),
  source: z.enum(["device", "commanded"]).openapi({
    description:
      "device: read from the PDU now; commanded: the last state pdud set (the driver cannot read)",
  }),
}).openapi("OutletState");

/** The power fields of a reading, flattened into an outlet's reply; only what the device reports. */
const PowerFields = {
  watts: z.number().optional().openapi({ description: "active power now, W" }),
  energyWh: z.number().optional().openapi({
    description: "energy the device counted since its counter began, Wh",
  }),
  volts: z.number().optional().openapi({ description: "RMS voltage, V" }),
  amps: z.number().optional().openapi({ description: "RMS current, A" }),
};

const OutletReading = OutletState.extend({
  ...PowerFields,
  powerError: z.string().optional().openapi({
    description: "why the power reading failed (the state above is still valid)",
  }),
}).openapi("OutletReading");

const OutletList = z.object({
  pdu: z.string(),
  outlets: z.array(z.object({
    outlet: z.number().int(),
    state: z.enum(["on", "off"]).optional(),
    name: z.string().optional().openapi({ description: "the name the device gives the outlet" }),
    ...PowerFields,
  })),
  source: z.enum(["list", "per-outlet"]).openapi({
    description:
      "list: one all-outlet exchange (SNMP walk, JSON status); per-outlet: read one by one over the driver's outlet range",
  }),
  exchanges: z.number().int().openapi({ description: "device exchanges the read took" }),
}).openapi("OutletList");

const PduName = z.string().min(1).max(255).openapi({
  param: { name: "name", in: "path" },
  example: "apc01",
});
const OutletParam = z.string().refine((text) => "outlet" in parseOutlet(text), {
  error: (issue) => {
    const parsed = parseOutlet(String(issue.input));
    return "reason" in parsed ? parsed.reason : "expected an outlet number or name";
  },
}).openapi({
  param: { name: "outlet", in: "path" },
  example: "3",
  description: "an outlet number, or a name for drivers that name outlets",
});
const OutletsParam = z.string().openapi({
  param: { name: "outlets", in: "path" },
  example: "1-4,7",
  description:
    "one outlet (a number, or a name where the driver names outlets), or a list and ranges executed in order",
});
const CommandParam = z.enum(["on", "off", "reboot"]).openapi({
  param: { name: "command", in: "path" },
});
const CommandBody = z.object({
  delay: z.number().min(0).max(MAX_DELAY).optional().openapi({
    description:
      `reboot: seconds between off and on (default ${DEFAULT_REBOOT_DELAY}); on/off: seconds to wait first`,
  }),
  wait: z.boolean().default(true).openapi({
    description: "true: answer when every job has finished; false: answer 202 with job ids at once",
  }),
}).strict().openapi("CommandRequest");

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});
const errors = {
  400: json(ErrorBody, "invalid input"),
  401: json(ErrorBody, "a bearer token is required or invalid"),
  403: json(ErrorBody, "not allowed (network or token scope)"),
  404: json(ErrorBody, "unknown PDU, group or job"),
  502: json(ErrorBody, "the device failed"),
  501: json(ErrorBody, "the PDU's driver cannot do this read"),
  503: {
    ...json(
      ErrorBody,
      "refused: queue full, PDU failed, shutting down, cluster journal unavailable",
    ),
    headers: {
      "Retry-After": {
        description: `seconds to wait before retrying (${RETRY_AFTER_SECONDS}); only when the ` +
          "refusal passes on its own (queue_full, cluster_unavailable) and, for several outlets, " +
          "when every failure is such a refusal",
        schema: { type: "integer" },
      },
    },
  },
  504: json(ErrorBody, "the device did not answer in time"),
} as const;

/** The JSON API routes, mounted at /api/v1. */
export function apiV1Routes(control: PowerControl, options: ApiOptions): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) return c.json({ error: describe(result.error) }, 400);
    },
  });
  const requester = (
    c: { env: AppEnv["Bindings"]; get(key: "requestId" | "token"): string | undefined },
  ) => ({
    transport: "api",
    address: c.env.remote.address,
    ...(c.get("requestId") ? { requestId: c.get("requestId")! } : {}),
    ...(c.get("token") ? { token: c.get("token")! } : {}),
  });
  const notFound = (name: string) => ({ error: `no PDU named "${name}"` });

  app.openapi(
    createRoute({
      method: "get",
      path: "/health",
      summary: "Liveness",
      responses: { 200: json(z.object({ status: z.literal("ok") }), "pdud is running") },
    }),
    (c) => c.json({ status: "ok" as const }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/whoami",
      summary:
        "Who the request is and what it may do (the dashboard shows controls only for control)",
      responses: {
        200: json(
          z.object({
            principal: z.string().openapi({
              description: "the bearer token's name (never its value); anonymous without one",
            }),
            scope: z.enum(["read", "control"]),
            tokens: z.boolean().openapi({ description: "whether this request carried a token" }),
          }),
          "the caller",
        ),
        401: errors[401],
        403: errors[403],
      },
    }),
    (c) => {
      const token = c.get("token");
      return c.json({
        principal: token ?? "anonymous",
        // Without access rules every request may control (the middleware sets no scope then).
        scope: c.get("scope") ?? "control",
        tokens: token !== undefined,
      }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/pdus",
      summary: "Every PDU with its state and queue",
      responses: { 200: json(z.object({ pdus: z.array(Pdu) }), "the PDUs") },
    }),
    (c) => c.json({ pdus: control.snapshot() }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/pdus/{name}",
      summary: "One PDU",
      request: { params: z.object({ name: PduName }) },
      responses: { 200: json(Pdu, "the PDU"), 404: errors[404] },
    }),
    (c) => {
      const { name } = c.req.valid("param");
      const pdu = control.snapshot().find((p) => p.name === name);
      return pdu ? c.json(pdu, 200) : c.json(notFound(name), 404);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/pdus/{name}/outlets",
      summary: "Every outlet's state (and name and power where the device reports them), " +
        "in one device exchange where the protocol allows",
      request: { params: z.object({ name: PduName }) },
      responses: {
        200: json(OutletList, "the outlets"),
        404: errors[404],
        501: errors[501],
        502: errors[502],
        503: errors[503],
        504: errors[504],
      },
    }),
    async (c) => {
      const { name } = c.req.valid("param");
      const result = await control.submit({
        pdu: name,
        command: { type: "list", outlet: ALL_OUTLETS },
        requester: requester(c),
      });
      if (result.status !== "done") {
        return c.json(
          { error: result.reason, kind: result.kind },
          apiStatus(result) as 404 | 501 | 502 | 503 | 504,
          retryHeaders(result),
        );
      }
      return c.json({
        pdu: name,
        outlets: (result.outlets ?? []).map(({ power, ...outlet }) => ({ ...outlet, ...power })),
        source: result.via ?? "list",
        exchanges: result.exchanges ?? 0,
      }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/pdus/{name}/outlets/{outlet}",
      summary:
        "An outlet's state: read from the device where the driver can, else the last state pdud set; with its power where the driver reads it",
      request: { params: z.object({ name: PduName, outlet: OutletParam }) },
      responses: {
        200: json(OutletReading, "the state (and power)"),
        400: errors[400],
        404: errors[404],
        502: errors[502],
        503: errors[503],
        504: errors[504],
      },
    }),
    async (c) => {
      const { name, outlet: text } = c.req.valid("param");
      const outlet = outletOf(text);
      const who = requester(c);
      const result = await control.submit({
        pdu: name,
        command: { type: "status", outlet },
        requester: who,
      });
      // After the state, and only when it was read: a device that does not answer is not
      // waited for twice.
      const reading = result.status === "done" && typeof outlet === "number" &&
          control.capabilities?.(name)?.readPower
        ? await control.submit({ pdu: name, command: { type: "power", outlet }, requester: who })
        : undefined;
      if (result.status !== "done") {
        return c.json(
          { error: result.reason, kind: result.kind },
          apiStatus(result) as 400 | 404 | 502 | 503 | 504,
          retryHeaders(result),
        );
      }
      return c.json({
        pdu: name,
        outlet: result.outlet,
        state: result.state,
        source: result.source,
        ...(reading?.status === "done"
          ? reading.power
          : reading
          ? { powerError: reading.reason }
          : {}),
      }, 200);
    },
  );

  const commandResponses = {
    200: json(z.object({ results: z.array(Result) }), "every job finished (wait: true)"),
    202: json(z.object({ jobs: z.array(Job) }), "accepted (wait: false); poll /api/v1/jobs/{id}"),
    ...errors,
  };

  async function run(
    c: Parameters<typeof requester>[0],
    targets: readonly { pdu: string; outlet: OutletId }[],
    command: "on" | "off" | "reboot",
    body: z.infer<typeof CommandBody>,
  ): Promise<Response> {
    const commands: PduCommand[] = targets.map(({ outlet }) =>
      command === "reboot"
        ? { type: "reboot", outlet, delay: body.delay ?? DEFAULT_REBOOT_DELAY }
        : body.delay
        ? { type: command, outlet, delayBefore: body.delay }
        : { type: command, outlet }
    );
    if (!body.wait && options.jobs.room() < commands.length) {
      // Checked before submitting: a job the store cannot track must not run unseen.
      return Response.json({
        error: `too many asynchronous jobs pending (the store holds ${options.jobs.limit}); ` +
          `retry later or send "wait": true`,
        kind: "jobs_full",
      }, { status: 503, headers: { "retry-after": String(RETRY_AFTER_SECONDS) } });
    }
    // Submitted together, in order: each PDU's mailbox keeps arrival order.
    const pending = commands.map((cmd, i) =>
      control.submit({ pdu: targets[i]!.pdu, command: cmd, requester: requester(c) })
    );
    if (!body.wait) {
      const jobs = pending.map((p, i) =>
        options.jobs.add(targets[i]!.pdu, targets[i]!.outlet, command, p)
      );
      // Refusals (unknown PDU, queue full) are settled without queueing: one turn of the event
      // loop lets them reach their views, so the 202 says "refused" and why, not "pending".
      await new Promise((resolve) => setTimeout(resolve, 0));
      return Response.json({ jobs }, { status: 202 });
    }
    const results = await Promise.all(pending);
    const worst = results.find((r) => r.status !== "done");
    // Every result is in the body; the status is the first failure's, so scripts can test it.
    // Retry-After only when every failure passes: the first one alone may hide a device error.
    return Response.json({ results }, {
      status: worst ? apiStatus(worst) : 200,
      headers: retryHeadersOfAll(results),
    });
  }

  // The two command routes answer with a status that depends on the results (200, 202 or the
  // first failure's), which the typed handler signature cannot express: they are registered
  // in the OpenAPI document from their route definitions and handled as plain Hono routes,
  // validating with the same schemas.
  function commandRoute<
    P extends z.ZodObject & z.ZodType<{ command: z.infer<typeof CommandParam> }>,
  >(
    path: string,
    summary: string,
    params: P,
    targets: (
      params: z.infer<P>,
    ) => { targets: readonly { pdu: string; outlet: OutletId }[] } | Response,
  ): void {
    app.openAPIRegistry.registerPath(createRoute({
      method: "post",
      path,
      summary,
      request: {
        params,
        body: { content: { "application/json": { schema: CommandBody } }, required: false },
      },
      responses: commandResponses,
    }));
    app.post(path.replace(/\{(\w+)\}/g, ":$1"), async (c) => {
      const parsed = params.safeParse(c.req.param());
      if (!parsed.success) return Response.json({ error: describe(parsed.error) }, { status: 400 });
      const found = targets(parsed.data);
      if (found instanceof Response) return found;
      const body = await readBody(c.req.raw);
      if ("error" in body) return Response.json(body, { status: 400 });
      return await run(c, found.targets, parsed.data.command, body);
    });
  }

  commandRoute(
    "/pdus/{name}/outlets/{outlets}/{command}",
    'Switch one outlet, or several in order ("1-4,7")',
    z.object({ name: PduName, outlets: OutletsParam, command: CommandParam }),
    ({ name, outlets }) => {
      // A list of numbers ("1-4,7"), or one outlet named (upstream b30c332): a name is one outlet.
      const named = parseOutlet(outlets);
      const list: OutletId[] | undefined = parseOutletList(outlets) ??
        ("outlet" in named ? [named.outlet] : undefined);
      if (!list) {
        return Response.json({
          error:
            `outlets: expected a number, a list like 1-4,7 or an outlet name (${OUTLET_NAME_RULE}), got "${
              outlets.slice(0, 40).replace(/[^\x20-\x7e]/g, "?")
            }"`,
        }, { status: 400 });
      }
      return { targets: list.map((outlet) => ({ pdu: name, outlet })) };
    },
  );

  commandRoute(
    "/groups/{group}/{command}",
    "Switch a named group of outlets (config `groups`, or aliases' `group` key) in order, across PDUs",
    z.object({
      group: z.string().min(1).openapi({ param: { name: "group", in: "path" } }),
      command: CommandParam,
    }),
    ({ group }) => {
      const members = control.resolveGroupMembers(group);
      if (!members?.length) {
        return Response.json({ error: `no group named "${group}"` }, { status: 404 });
      }
      return { targets: members };
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/aliases",
      summary: "Every alias (config `aliases`) with the PDU and outlet it names, in config order",
      responses: { 200: json(z.object({ aliases: z.array(Alias) }), "the aliases") },
    }),
    (c) => c.json({ aliases: control.listAliases() }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/groups",
      summary:
        "Every group with its outlets in order: config `groups` and aliases with upstream's `group` key",
      responses: { 200: json(z.object({ groups: z.array(Group) }), "the groups") },
    }),
    (c) =>
      c.json({
        groups: control.listGroups().map((g) => ({
          name: g.name,
          members: g.members.map((m) => ({
            pdu: m.pdu,
            outlet: m.outlet,
            ...(m.alias === undefined ? {} : { alias: m.alias }),
          })),
        })),
      }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/jobs/{id}",
      summary: "An asynchronous job",
      request: {
        params: z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) }),
      },
      responses: { 200: json(Job, "the job"), 404: errors[404] },
    }),
    (c) => {
      const { id } = c.req.valid("param");
      const job = options.jobs.get(id);
      return job ? c.json(job, 200) : c.json({ error: `no job "${id}" (unknown or expired)` }, 404);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/reload",
      summary: "Re-read the config file and apply it; queues are kept",
      responses: {
        200: json(
          z.object({
            added: z.array(z.string()),
            removed: z.array(z.string()),
            changed: z.array(z.string()),
            daemon: z.array(z.string()).optional().openapi({
              description: "daemon-section keys that changed and took effect (tokens, networks…)",
            }),
          }),
          "applied",
        ),
        400: json(
          ErrorBody,
          "the new config is invalid, fails the pre-flight, or changes a key that needs a " +
            "restart (listen address, port, listener, TLS…); the old one keeps running",
        ),
        401: errors[401],
        403: errors[403],
        409: json(ErrorBody, "nothing to reload (embedded demo config) or shutting down"),
      },
    }),
    async (c) => {
      if (!options.reload) {
        return c.json({ error: "pdud runs without --conf: nothing to reload" }, 409);
      }
      if (control.stopping) return c.json({ error: "pdud is shutting down" }, 409);
      try {
        return c.json(await options.reload(), 200);
      } catch (error) {
        // Shutdown may begin while the config file is read: the supervisor refuses then.
        if (error instanceof ShuttingDownError) return c.json({ error: error.message }, 409);
        const issues = (error as { issues?: ConfigIssue[] }).issues;
        if (issues) {
          return c.json({
            error: "the new config is invalid; the running config stays",
            issues: [...issues],
          }, 400);
        }
        throw error;
      }
    },
  );

  // Served by routes/events.ts (a stream, not JSON); documented here with the rest of the API.
  app.openAPIRegistry.registerPath(createRoute({
    method: "get",
    path: "/events",
    summary: "Server-Sent Events: jobs, outlet and PDU state changes, with Last-Event-ID resume",
    description: "Needs read scope, like every read route. Each event has an `id:`, an " +
      "`event:` type and JSON `data:` (with `time`). Types: `job.accepted`, `job.started`, " +
      "`job.done`, `job.failed`, `job.refused` (pdu, outlet, command, job, principal — a token's " +
      "name, never its value —, kind and reason); `outlet.state` (pdu, outlet, state, source: " +
      "commanded or device, previous); `pdu.state` (pdu, state, slot, from, via, queueDepth, " +
      "restarts, lastError; state `removed` once a reload removed it). Stream control, without " +
      "`id:`: `ready` first; `reset` when Last-Event-ID is older than the ring or from another " +
      "run (what was missed, then the whole ring); `dropped` when this client fell too far " +
      "behind (reconnect with Last-Event-ID); `closed` at shutdown or when access rules change. " +
      "A comment line (`: ping`) is sent when nothing happened for 25 s.",
    request: {
      query: z.object({
        pdu: z.string().optional().openapi({
          description: "only events about these PDUs (job.*, outlet.state, pdu.state), in a " +
            "resume too: repeat it or separate names with commas; an unknown PDU is a 404",
          example: "apc01,apc02",
        }),
      }),
      headers: z.object({
        "last-event-id": z.string().optional().openapi({
          description: "resume after this event (EventSource sends it when it reconnects)",
          example: "mabc12-42",
        }),
      }),
    },
    responses: {
      200: {
        description: "the stream; it stays open",
        content: {
          "text/event-stream": {
            schema: z.string().openapi({
              example: 'id: mabc12-43\nevent: job.done\ndata: {"pdu":"apc01","outlet":3,...}\n\n',
            }),
          },
        },
      },
      400: json(ErrorBody, "Last-Event-ID is not an id this stream sends, or an empty `pdu`"),
      401: errors[401],
      403: errors[403],
      404: json(ErrorBody, "a `pdu` that is not configured, or this pdud has no event stream"),
      503: json(ErrorBody, "too many subscribers"),
    },
  }));

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "pdud JSON API",
      version: "1",
      description:
        "pdud's own API. The upstream PDUDaemon routes (/power/control/…) are documented in docs/interfaces.md.",
    },
  });
  return app;
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.join(".") || "request"}: ${issue?.message ?? "invalid"}`;
}

/** An optional JSON body: {} when absent. */
async function readBody(
  request: Request,
): Promise<z.infer<typeof CommandBody> | { error: string }> {
  const text = await request.text();
  if (text.length > 65536) return { error: "body: larger than 64 KiB" };
  let data: unknown = {};
  if (text.trim()) {
    try {
      data = JSON.parse(text);
    } catch {
      return { error: "body: not valid JSON" };
    }
  }
  const parsed = CommandBody.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { error: `body.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}` };
  }
  return parsed.data;
}

/** The OutletId of a path word already validated by OutletParam. */
function outletOf(text: string): OutletId {
  const parsed = parseOutlet(text);
  return "outlet" in parsed ? parsed.outlet : text;
}
