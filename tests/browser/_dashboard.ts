/**
 * Shared by the browser tests and the screenshot script: Debian's chromium driven by
 * puppeteer-core, and pdud on the demo config (or a variant) on 127.0.0.1:0.
 */
import puppeteer, { type Browser } from "puppeteer-core";
import { parse } from "yaml";
import { DEMO_CONFIG } from "../../config/mod.ts";
import { startDaemon, type TestDaemon } from "../_helpers/daemon.ts";

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = "/usr/bin/chromium";

/** Whether the browser is installed (the tests are skipped, saying so, without it). */
export const HAS_CHROMIUM: boolean = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();

/** A headless chromium; close it when done. */
export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    // --no-sandbox: tests run as root in a container, where chromium's sandbox cannot start.
    args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--no-first-run"],
  });
}

/** The embedded demo config as an object, with `change` applied to a copy. */
export function demoConfig(
  change: (config: Record<string, Record<string, unknown>>) => void = () => {},
): Record<string, unknown> {
  const config = parse(DEMO_CONFIG) as Record<string, Record<string, unknown>>;
  change(config);
  return config;
}

/** pdud on `config` (default: the demo) on 127.0.0.1:0. */
export function startPdud(config: Record<string, unknown> = demoConfig()): Promise<TestDaemon> {
  return startDaemon(config);
}
