/// <reference lib="dom" />
/**
 * Makes docs/dashboard.png: the dashboard on the demo config after a few commands, a change made
 * behind pdud's back and a failed job. Not a test; run by hand after changing the page:
 * `deno run -A tests/browser/screenshot.ts [out.png] [width]`.
 */
import { simulatedDevice } from "../../drivers/mod.ts";
import { launchBrowser, startPdud } from "./_dashboard.ts";

const out = Deno.args[0] ?? "docs/dashboard.png";
const width = Number(Deno.args[1] ?? 1280);
await using pdud = await startPdud();
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.setViewport({ width, height: width < 600 ? 1400 : 900 });
  await page.goto(`${pdud.url}/`);
  await page.waitForFunction(() => document.getElementById("conn")?.textContent === "Live");
  const post = async (path: string, body: unknown = {}) =>
    await (await fetch(`${pdud.url}/api/v1${path}`, {
      method: "POST",
      body: JSON.stringify(body),
    })).body?.cancel();
  await post("/pdus/demo-rack-a/outlets/1-3/on");
  await post("/pdus/demo-rack-a/outlets/4/off");
  await post("/pdus/demo-rack-b/outlets/2/on");
  await post("/pdus/demo-rack-b/outlets/5/reboot", { delay: 0 });
  simulatedDevice("demo-rack-b").set(7, "on");
  await (await fetch(`${pdud.url}/api/v1/pdus/demo-rack-b/outlets/7`)).body?.cancel();
  const flaky = simulatedDevice("demo-flaky");
  flaky.fault = "refuse";
  await post("/pdus/demo-flaky/outlets/2/on");
  flaky.fault = "flap";
  await page.waitForFunction(() =>
    document.querySelector('#activity li[data-type="job.failed"]') !== null
  );
  await page.screenshot({ path: out });
} finally {
  await browser.close();
}
