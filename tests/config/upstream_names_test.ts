/** The README's "every upstream driver name": each name upstream accepts has a pdud driver. */
import assert from "node:assert/strict";
import { UPSTREAM_DRIVER_NAMES } from "../../config/upstream.ts";
import { findDriver } from "../../drivers/mod.ts";

Deno.test("every driver name upstream accepts is implemented", () => {
  const missing = UPSTREAM_DRIVER_NAMES.filter((name) => findDriver(name) === undefined);
  assert.deepEqual(missing, []);
  assert.ok(UPSTREAM_DRIVER_NAMES.length >= 79, `${UPSTREAM_DRIVER_NAMES.length} names`);
});
