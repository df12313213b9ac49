/**
 * The DriverError an operation failed with, for tests that check its kind, permanence and words.
 * @module
 */
import assert from "node:assert/strict";
import { DriverError } from "../../drivers/errors.ts";

/** Awaits `promise`, which must reject with a DriverError; returns that error. */
export async function driverFailure(promise: Promise<unknown>): Promise<DriverError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DriverError, `expected a DriverError, got ${error}`);
    return error;
  }
  assert.fail("expected a DriverError, but the operation succeeded");
}
