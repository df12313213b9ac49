/**
 * One way to put something around every call a driver answers (scrubbing its errors, noticing
 * when a job starts): each method of the contract is forwarded, the optional ones only when the
 * driver has them. A wrapper written by hand per use forgot the named-outlet methods once, and a
 * driver that names outlets then looked as if it could not.
 * @module
 */
import type { Driver, OutletId } from "./driver.ts";

/**
 * Runs every call of `driver` through `around`, with the outlet it concerns (`undefined` for
 * `close`). `around` must call `run` and return what it returns (or throw instead).
 */
export function wrapDriver(
  driver: Driver,
  around: <T>(outlet: OutletId | undefined, run: () => Promise<T>) => Promise<T>,
): Driver {
  const wrapped: Driver = {
    setOutlet: (outlet, state, options) =>
      around(outlet, () => driver.setOutlet(outlet, state, options)),
    close: () => around(undefined, () => driver.close()),
  };
  if (driver.getOutlet) {
    wrapped.getOutlet = (outlet, options) =>
      around(outlet, () => driver.getOutlet!(outlet, options));
  }
  if (driver.setNamedOutlet) {
    wrapped.setNamedOutlet = (name, state, options) =>
      around(name, () => driver.setNamedOutlet!(name, state, options));
  }
  if (driver.getNamedOutlet) {
    wrapped.getNamedOutlet = (name, options) =>
      around(name, () => driver.getNamedOutlet!(name, options));
  }
  if (driver.readPower) {
    wrapped.readPower = (outlet, options) =>
      around(outlet, () => driver.readPower!(outlet, options));
  }
  if (driver.listOutlets) {
    wrapped.listOutlets = (options) => around(undefined, () => driver.listOutlets!(options));
  }
  return wrapped;
}
