/**
 * The dashboard: `GET /` and `/ui/` serve one page whose script (`/ui/app.js`) reads the JSON API
 * and the event stream with the tab's bearer token. The page and its assets are constants in
 * code (routes/dashboard_page.ts), so `deno compile` embeds them and there is no build step. They
 * hold no data, so they are served without a token (routes/app.ts `scopeOf`); every piece of data
 * comes from the API, which checks the token.
 * @module
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "./env.ts";
import { APP_CSS, APP_JS, FAVICON_SVG, INDEX_HTML } from "./dashboard_page.ts";

/**
 * Scripts only from pdud itself, never inline (an injected `<script>` or `onerror=` would not
 * run even if escaping failed); no framing, no form posts, no plugins.
 */
export const DASHBOARD_CSP =
  "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

const HEADERS = {
  "content-security-policy": DASHBOARD_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  // Small and embedded: revalidating costs little and a new pdud's page is used at once.
  "cache-control": "no-cache",
};

/** The page and its assets, mounted at `/`. */
export function dashboardRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const asset = (body: string, type: string) => (c: Context<AppEnv>) =>
    c.body(body, 200, { ...HEADERS, "content-type": type });
  const page = asset(INDEX_HTML, "text/html; charset=utf-8");
  app.get("/", page);
  app.get("/ui", (c) => c.redirect("/ui/", 301));
  app.get("/ui/", page);
  app.get("/ui/app.js", asset(APP_JS, "text/javascript; charset=utf-8"));
  app.get("/ui/app.css", asset(APP_CSS, "text/css; charset=utf-8"));
  app.get("/ui/favicon.svg", asset(FAVICON_SVG, "image/svg+xml"));
  return app;
}
