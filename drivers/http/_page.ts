/**
 * What the web-page relays of this family share: a page is believed only when it is text (a
 * reply with control bytes in it is not the device's web server speaking), and outlet numbers
 * are checked against the model's range before anything is sent.
 * @module
 */
import type { HttpAnswer } from "../_transport/http_client.ts";
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
