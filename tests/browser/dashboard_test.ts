/// <reference lib="dom" />
/**
 * The dashboard in a real browser (Debian's chromium through puppeteer-core) against a real pdud
 * on the demo config: it lists the PDUs, switches an outlet after a confirmation, shows a change
 * made behind pdud's back after a read, shows another client's failed job within a second, hides
 * controls from a read-only token, and shows hostile names as text.
 */
import assert from "node:assert/strict";
import type { Browser, Page } from "puppeteer-core";
import { SILENT_LOGGER } from "../../actors/mod.ts";
import { loadConfig } from "../../config/mod.ts";
import { startDaemon } from "../../daemon/mod.ts";
import { simulatedDevice } from "../../drivers/mod.ts";
import { CHROMIUM, demoConfig, HAS_CHROMIUM, launchBrowser, startPdud } from "./_dashboard.ts";

const SKIPPED = HAS_CHROMIUM ? "" : ` — SKIPPED: ${CHROMIUM} is missing (apt-get install chromium)`;

function browserTest(name: string, fn: (browser: Browser) => Promise<void>): void {
  Deno.test({
    name: name + SKIPPED,
    ignore: !HAS_CHROMIUM,
    fn: async () => {
      const browser = await launchBrowser();
      try {
        await fn(browser);
      } finally {
        await browser.close();
      }
    },
  });
}

/** Opens the dashboard and waits until its event stream is live and the PDUs are listed. */
async function open(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  const response = await page.goto(`${url}/`);
  assert.equal(response?.status(), 200);
  assert.match(response!.headers()["content-security-policy"] ?? "", /default-src 'self'/);
  await page.waitForFunction(() =>
    document.getElementById("conn")?.textContent === "Live" &&
    document.querySelectorAll("article.pdu").length > 0
  );
  (page as Page & { errors: string[] }).errors = errors;
  return page;
}

/**
 * The row of outlet `n` on PDU `pdu`, its state known: every outlet in the PDU's range is listed
 * from the start, as "unknown" until read, so an unknown one is read through the page's form.
 */
async function row(page: Page, pdu: string, n: number): Promise<string> {
  const selector = `article.pdu[data-test-pdu="${pdu}"] tr[data-outlet="${n}"]`;
  await page.evaluate((name) => {
    for (const a of document.querySelectorAll("article.pdu")) {
      if (a.querySelector("h2")?.textContent === name) a.setAttribute("data-test-pdu", name);
    }
  }, pdu);
  const known = (s: string) => {
    const state = document.querySelector(s)?.querySelector("td .badge")?.textContent;
    return state !== undefined && state !== "unknown";
  };
  if (!await page.evaluate(known, selector)) {
    await page.type(`article.pdu[data-test-pdu="${pdu}"] .read-any input`, String(n));
    await page.click(`article.pdu[data-test-pdu="${pdu}"] .read-any button`);
    await page.waitForFunction(known, {}, selector);
  }
  return selector;
}

const stateOf = (page: Page, selector: string) =>
  page.$eval(selector, (tr) => tr.querySelector("td .badge")?.textContent ?? "");

browserTest(
  "the dashboard lists the demo's PDUs with state, queue, restarts and last error",
  async (browser) => {
    await using pdud = await startPdud();
    const page = await open(browser, pdud.url);
    assert.equal(await page.$eval("#login", (f) => f.checkVisibility()), false, "no token asked");
    const names = await page.$$eval("article.pdu h2", (hs) => hs.map((h) => h.textContent));
    assert.deepEqual(names, ["demo-rack-a", "demo-rack-b", "demo-flaky"]);
    const first = await page.$eval("article.pdu", (a) => a.textContent ?? "");
    for (const text of ["simulated", "Queue", "0 / ", "Restarts", "Last error", "none"]) {
      assert.ok(first.includes(text), `"${text}" in ${first}`);
    }
    // /ui/ is the same page; its script is served apart (the CSP forbids inline script).
    const ui = await fetch(`${pdud.url}/ui/`);
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /<script src="\/ui\/app.js" defer><\/script>/);
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
  },
);

browserTest(
  "every outlet of the demo's PDUs is listed, unknown until known, with the aliases' names",
  async (browser) => {
    await using pdud = await startPdud();
    const page = await open(browser, pdud.url);
    const outlets = await page.$$eval("article.pdu", (as) =>
      as.map((a) => ({
        pdu: a.querySelector("h2")?.textContent,
        rows: [...a.querySelectorAll("tr[data-outlet]")].map((tr) => ({
          n: tr.getAttribute("data-outlet"),
          names: tr.querySelector("td.names")?.textContent,
          state: tr.querySelector("td .badge")?.textContent,
        })),
      })));
    const numbers = (k: number, first = 1) =>
      Array.from({ length: k }, (_, i) => String(i + first));
    // config/demo.ts: demo-rack-a 8 outlets, demo-rack-b 16, demo-flaky 4, none switched yet.
    assert.deepEqual(outlets.map((p) => [p.pdu, p.rows.map((r) => r.n)]), [
      ["demo-rack-a", numbers(8)],
      ["demo-rack-b", numbers(16)],
      ["demo-flaky", numbers(4)],
    ]);
    for (const p of outlets) {
      for (const r of p.rows) assert.equal(r.state, "unknown", `${p.pdu} outlet ${r.n}`);
    }
    // The demo's aliases carry no group key: they are named by GET /api/v1/aliases.
    const named = outlets.flatMap((p) =>
      p.rows.filter((r) => r.names !== "").map((r) => [p.pdu, r.n, r.names])
    );
    assert.deepEqual(named, [["demo-rack-a", "1", "board-1"], ["demo-rack-b", "2", "board-2"]]);

    // The filter finds an outlet by its alias.
    await page.type("#filter", "board-2");
    const shown = await page.$$eval(
      "article.pdu:not([hidden]) tr[data-outlet]:not([hidden])",
      (trs) =>
        trs.map((tr) =>
          tr.closest("article")?.querySelector("h2")?.textContent + " " +
          tr.getAttribute("data-outlet")
        ),
    );
    assert.deepEqual(shown, ["demo-rack-b 2"]);
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
  },
);

browserTest(
  "a click switches an outlet after a confirmation, and the simulator follows",
  async (browser) => {
    await using pdud = await startPdud();
    const device = simulatedDevice("demo-rack-a");
    device.set(3, "off");
    const page = await open(browser, pdud.url);
    const tr = await row(page, "demo-rack-a", 3);
    await page.waitForFunction(
      (s) => document.querySelector(s)?.textContent?.includes("off"),
      {},
      tr,
    );

    const dialogs: string[] = [];
    page.on("dialog", async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.accept();
    });
    await page.click(`${tr} button[data-command="on"]`);
    await page.waitForFunction(
      (s) => document.querySelector(s)?.querySelector("td .badge")?.textContent === "on",
      {},
      tr,
    );
    assert.deepEqual(dialogs, ["Switch outlet 3 of demo-rack-a on?"]);
    assert.equal(device.get(3), "on", "the simulated device was switched");
    assert.match(await page.$eval(tr, (r) => r.textContent ?? ""), /set by pdud/);

    // Dismissing the confirmation switches nothing.
    page.removeAllListeners("dialog");
    page.on("dialog", (dialog) => void dialog.dismiss());
    const before = device.history.length;
    await page.click(`${tr} button[data-command="off"]`);
    await page.evaluate(() => new Promise((r) => setTimeout(r, 0)));
    assert.equal(device.history.length, before);
    assert.equal(device.get(3), "on");
  },
);

browserTest("a change made behind pdud's back appears after a read", async (browser) => {
  await using pdud = await startPdud();
  const device = simulatedDevice("demo-rack-a");
  device.set(4, "off");
  const page = await open(browser, pdud.url);
  const tr = await row(page, "demo-rack-a", 4);
  assert.equal(await stateOf(page, tr), "off");
  device.set(4, "on");
  // By keyboard: the controls are native buttons, focusable and pressed with Enter.
  await page.focus(`${tr} button[aria-label^="Read"]`);
  await page.keyboard.press("Enter");
  await page.waitForFunction(
    (s) => document.querySelector(s)?.querySelector("td .badge")?.textContent === "on",
    {},
    tr,
  );
  assert.match(await page.$eval(tr, (r) => r.textContent ?? ""), /read from device/);
  await page.waitForFunction(() =>
    [...document.querySelectorAll("#activity li")].some((li) =>
      li.textContent?.includes("demo-rack-a outlet 4 is on on the device (pdud knew off)")
    )
  );
});

browserTest("a read shows the outlet's power where the device reports it", async (browser) => {
  await using pdud = await startPdud();
  const device = simulatedDevice("demo-rack-a");
  device.set(5, "on");
  device.setLoad(5, 12.5);
  const page = await open(browser, pdud.url);
  const tr = await row(page, "demo-rack-a", 5);
  await page.click(`${tr} button[aria-label^="Read"]`);
  await page.waitForFunction(
    (s) => document.querySelector(s)?.textContent?.includes("read from device · 12.5 W"),
    {},
    tr,
  );
  // The reading is part of the read: the activity list says the read, not a second job.
  await page.waitForFunction(() =>
    [...document.querySelectorAll("#activity li")].some((li) =>
      li.textContent?.includes("demo-rack-a outlet 5 is on")
    )
  );
  const lines = await page.$$eval("#activity li", (lis) => lis.map((li) => li.textContent ?? ""));
  assert.ok(!lines.some((l) => l.includes("power")), lines.join("\n"));
});

browserTest(
  "a job failing on another client appears in the activity list within a second",
  async (browser) => {
    await using pdud = await startPdud();
    const page = await open(browser, pdud.url);
    const device = simulatedDevice("demo-flaky");
    device.fault = "error";
    try {
      // The demo's flaky PDU tries 3 times, 1 s apart: the request answers when the job failed.
      const response = await fetch(`${pdud.url}/api/v1/pdus/demo-flaky/outlets/2/on`, {
        method: "POST",
      });
      const failedAt = performance.now();
      assert.equal(response.status, 502);
      await response.body?.cancel();
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll('#activity li[data-type="job.failed"]')].some((li) =>
            li.textContent?.includes("on demo-flaky outlet 2 by anonymous: ")
          ),
        { timeout: 1000 },
      );
      assert.ok(performance.now() - failedAt < 1000);
    } finally {
      device.fault = "flap";
    }
  },
);

browserTest(
  "a read-only token shows no buttons; a control token does; tokens stay in the tab",
  async (browser) => {
    const control = "control-secret-0123456789";
    const read = "read-secret-0123456789";
    await using pdud = await startPdud(demoConfig((c) => {
      c.daemon!.tokens = [
        { name: "ops", secret: control, scope: "control" },
        { name: "viewer", secret: read, scope: "read" },
      ];
    }));
    const signIn = async (secret: string) => {
      const page = await browser.newPage();
      await page.goto(`${pdud.url}/`);
      await page.waitForSelector("#login:not([hidden])");
      assert.equal(await page.$$eval("article.pdu", (a) => a.length), 0, "no data without a token");
      await page.type("#token", secret);
      await page.keyboard.press("Enter");
      await page.waitForFunction(() =>
        document.getElementById("conn")?.textContent === "Live" &&
        document.querySelectorAll("article.pdu").length === 3
      );
      return page;
    };

    const viewer = await signIn(read);
    assert.equal(await viewer.$eval("#who", (p) => p.textContent), "Token viewer (read)");
    const tr = await row(viewer, "demo-rack-b", 6);
    assert.equal(await viewer.$$eval("button[data-command]", (b) => b.length), 0);
    assert.equal(
      await viewer.$$eval(`${tr} button`, (b) => b.map((x) => x.textContent)).then(String),
      "Read",
    );
    assert.equal(await viewer.evaluate(() => sessionStorage.getItem("pdud.token")), read);
    assert.equal(await viewer.evaluate(() => localStorage.length), 0);

    const ops = await signIn(control);
    const opsRow = await row(ops, "demo-rack-b", 6);
    assert.deepEqual(
      await ops.$$eval(`${opsRow} button[data-command]`, (b) => b.map((x) => x.textContent)),
      ["On", "Off", "Reboot"],
    );

    // A token the daemon does not know is refused with the reason, and forgotten.
    const page = await browser.newPage();
    await page.goto(`${pdud.url}/`);
    await page.waitForSelector("#login:not([hidden])");
    await page.type("#token", "not-a-valid-token-0123456789");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.getElementById("login-error")?.textContent !== "");
    assert.match(await page.$eval("#login-error", (p) => p.textContent ?? ""), /not valid/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("pdud.token")), null);
  },
);

browserTest("the page keeps its token and catches up when pdud restarts", async (browser) => {
  const config = demoConfig((c) => {
    c.daemon!.tokens = [{ name: "ops", secret: "control-secret-0123456789", scope: "control" }];
  });
  const first = await startPdud(config);
  const page = await browser.newPage();
  await page.goto(`${first.url}/`);
  await page.waitForSelector("#login:not([hidden])");
  await page.type("#token", "control-secret-0123456789");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.getElementById("conn")?.textContent === "Live");
  await first.close();
  await page.waitForFunction(() =>
    document.getElementById("who")?.textContent === "pdud is unreachable; retrying…"
  );

  // The same port, a new run: what changed meanwhile shows once the page is back.
  const second = await startDaemon(await loadConfig(config), {
    log: SILENT_LOGGER,
    listen: { hostname: "127.0.0.1", port: first.port, listener: "both" },
  });
  try {
    const switched = await fetch(`${first.url}/api/v1/pdus/demo-rack-b/outlets/9/off`, {
      method: "POST",
      headers: { authorization: "Bearer control-secret-0123456789" },
    });
    assert.equal(switched.status, 200);
    await switched.body?.cancel();
    await page.waitForFunction(
      () => document.querySelector('tr[data-outlet="9"] td .badge')?.textContent === "off",
      { timeout: 10_000 },
    );
    assert.equal(await page.$eval("#conn", (c) => c.textContent), "Live");
    assert.equal(await page.$eval("#login", (f) => f.checkVisibility()), false);
  } finally {
    await second.stop(1000);
  }
});

browserTest("hostile PDU, alias and group names are shown as text, never run", async (browser) => {
  const svg = "<svg onload=window.__pwned=4>";
  const script = "<script>window.__pwned=1</script>";
  const img = "<img src=x onerror=window.__pwned=2>";
  const bold = '<b onmouseover="window.__pwned=3">bold</b>';
  await using pdud = await startPdud({
    pdus: { [svg]: { driver: "simulated", outlets: 4 } },
    aliases: { [script]: { hostname: svg, port: 1, group: img } },
    groups: { [bold]: { hostname: svg, ports: "2" } },
  });
  const page = await open(browser, pdud.url);
  assert.deepEqual(await page.$$eval("article.pdu h2", (hs) => hs.map((h) => h.textContent)), [
    svg,
  ]);
  const names = await page.$$eval(
    "tr[data-outlet] td.names",
    (tds) => tds.map((td) => td.textContent),
  );
  assert.deepEqual(names, [`${script} (${img})`, bold, "", ""]);

  // The name travels through a confirmation, a command and the activity list: still text.
  const dialogs: string[] = [];
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.accept();
  });
  await page.click('tr[data-outlet="1"] button[data-command="on"]');
  await page.waitForFunction(() =>
    document.querySelector('#activity li[data-type="job.done"]') !== null
  );
  assert.deepEqual(dialogs, [`Switch outlet 1 of ${svg} (${script} (${img})) on?`]);
  assert.match(
    await page.$eval('#activity li[data-type="job.done"]', (li) => li.textContent ?? ""),
    new RegExp(`on ${svg} outlet 1 → on by anonymous`),
  );

  await page.type("#filter", "<img");
  assert.deepEqual(
    await page.$$eval("tr[data-outlet]", (trs) => trs.map((tr) => (tr as HTMLElement).hidden)),
    [false, true, true, true],
  );
  assert.equal(
    await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
    undefined,
  );
  assert.equal(await page.$$eval("main img, main b, main script, main svg", (e) => e.length), 0);
});

browserTest(
  "an alias on a named outlet has its row, in order after the numbers, and switches it",
  async (browser) => {
    const dir = await Deno.makeTempDir({ prefix: "pdud-dash-named-" });
    try {
      const log = `${dir}/log`;
      await using pdud = await startPdud({
        pdus: {
          lab: { driver: "localcmdline", "cmd_on": `echo %s on >> ${log}`, "cmd_off": "true" },
        },
        aliases: {
          lamp: { hostname: "lab", port: "usb-hub-3" },
          fan: { hostname: "lab", port: 2 },
        },
      });
      const page = await open(browser, pdud.url);
      const rows = () =>
        page.$$eval("tr[data-outlet]", (trs) =>
          trs.map((tr) =>
            [
              tr.getAttribute("data-outlet"),
              tr.querySelector("th")?.textContent,
              tr.querySelector("td.names")?.textContent,
              tr.querySelector("td .badge")?.textContent,
            ].join(" ")
          ));
      assert.deepEqual(await rows(), ["2 2 fan unknown", "usb-hub-3 usb-hub-3 lamp unknown"]);

      const dialogs: string[] = [];
      page.on("dialog", async (dialog) => {
        dialogs.push(dialog.message());
        await dialog.accept();
      });
      const tr = 'tr[data-outlet="usb-hub-3"]';
      await page.click(`${tr} button[data-command="on"]`);
      await page.waitForFunction(
        (s) => document.querySelector(s)?.querySelector("td .badge")?.textContent === "on",
        {},
        tr,
      );
      assert.deepEqual(dialogs, ["Switch outlet usb-hub-3 of lab (lamp) on?"]);
      assert.equal(await Deno.readTextFile(log), "usb-hub-3 on\n", "the command ran for the name");
      assert.match(await page.$eval(tr, (r) => r.textContent ?? ""), /set by pdud/);

      // A name typed into the read form gets a row too (unknown: the driver cannot read).
      await page.type(".read-any input", "relay-9");
      await page.click(".read-any button");
      await page.waitForFunction(() =>
        document.querySelector('tr[data-outlet="relay-9"]') !== null
      );
      assert.deepEqual(await rows(), [
        "2 2 fan unknown",
        "relay-9 relay-9  unknown",
        "usb-hub-3 usb-hub-3 lamp on",
      ]);

      await page.type("#filter", "lamp");
      assert.deepEqual(
        await page.$$eval(
          "tr[data-outlet]:not([hidden])",
          (trs) => trs.map((t) => t.getAttribute("data-outlet")),
        ),
        ["usb-hub-3"],
      );
      assert.deepEqual((page as Page & { errors: string[] }).errors, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

browserTest(
  "a PDU wider than 128 outlets lists its known and named ones, then its range a page at a time",
  async (browser) => {
    await using pdud = await startPdud({
      pdus: { big: { driver: "simulated", outlets: 300 } },
      aliases: { far: { hostname: "big", port: 250 } },
    });
    const page = await open(browser, pdud.url);
    const listed = () =>
      page.$$eval("tr[data-outlet]", (trs) => trs.map((tr) => tr.getAttribute("data-outlet")));
    const more = () =>
      page.$eval("button.more", (b) => (b as HTMLElement).hidden ? null : b.textContent);
    const span = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
    assert.deepEqual(await listed(), ["250"]);
    assert.equal(await more(), "List outlets 1–128 (of 1–300)");
    assert.equal(await page.$eval("button.fewer", (b) => (b as HTMLElement).hidden), true);

    await page.click("button.more");
    assert.deepEqual(await listed(), [...span(1, 128), "250"]);
    assert.equal(await more(), "List outlets 129–256 (of 1–300)");
    // By keyboard, as any button.
    await page.focus("button.more");
    await page.keyboard.press("Enter");
    assert.deepEqual(await listed(), span(1, 256));
    assert.equal(await more(), "List outlets 257–300 (of 1–300)");
    await page.click("button.more");
    assert.deepEqual(await listed(), span(1, 300));
    assert.equal(await more(), null, "the whole range is listed");

    // An outlet of a later page switches like any other, and stays listed once known.
    page.on("dialog", (dialog) => void dialog.accept());
    await page.click('tr[data-outlet="280"] button[data-command="on"]');
    await page.waitForFunction(() =>
      document.querySelector('tr[data-outlet="280"] td .badge')?.textContent === "on"
    );
    assert.equal(simulatedDevice("big").get(280), "on");
    await page.click("button.fewer");
    assert.deepEqual(await listed(), ["250", "280"]);
    assert.equal(await more(), "List outlets 1–128 (of 1–300)");
    assert.deepEqual((page as Page & { errors: string[] }).errors, []);
  },
);
