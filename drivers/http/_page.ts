/**
 * What the web-page relays of this family share: a page is believed only when it is text (a
 * reply with control bytes in it is not the device's web server speaking), and outlet numbers
 * are checked against the model's range before anything is sent. A switch counts as done only
 * once the device reports the outlet in the state asked for (`confirmSwitched`).
 * @module
 */
import type { HttpAnswer } from "../_transport/http_client.ts";
import type { OutletState } from "../driver.ts";
import { DriverError } from "../errors.ts";

/** The answer as text, refused when it holds bytes no web page has. */
export function pageText(answer: HttpAnswer, device: string, what: string): string {
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x08\x0e-\x1f\ufffd]/.test(answer.text)) {
    throw new DriverError(
      "protocol",
      `${device} answered ${what} with bytes that are not a web page: ${
        JSON.stringify(answer.text.slice(0, 24))
      }`,
    );
  }
  return answer.text;
}

/** Refuses an outlet outside `min`–`max` as a config error. */
export function checkRange(outlet: number, min: number, max: number, device: string): void {
  if (!Number.isInteger(outlet) || outlet < min || outlet > max) {
    throw new DriverError("config", `${device} has outlets ${min}–${max}, not ${outlet}`);
  }
}

/** A form with a password field: the device's login page, not an answer to a command. */
const LOGIN_FORM = /<input\b[^>]*\btype\s*=\s*["']?password\b/i;

/**
 * The answer as text (see pageText), refused as an authentication failure when it is a login
 * page: a device whose web interface wants a form login (or other credentials) answers its
 * login page with 200 to every request, and a switch must not count as done on it.
 */
export function devicePage(answer: HttpAnswer, device: string, what: string): string {
  const text = pageText(answer, device, what);
  if (LOGIN_FORM.test(text)) {
    throw new DriverError(
      "auth",
      `${device} answered ${what} with its login page (a password form): it wants a web login ` +
        "pdud does not do, or other credentials (check username and password)",
    );
  }
  return text;
}

/**
 * Fails unless the device reports the outlet in the state asked for: a device that ignores a
 * command (an outlet number it does not have, a relay that did not move) still answers it with
 * 200. `outlet` is the device's word for it ("outlet 3", "port 3", "output out3"). A "device"
 * error, so the actor's retries apply.
 */
export function confirmSwitched(
  device: string,
  outlet: string,
  asked: OutletState,
  reported: OutletState,
): void {
  if (reported !== asked) {
    throw new DriverError(
      "device",
      `${device} reports ${outlet} ${reported} after it was asked to switch it ${asked}`,
    );
  }
}
