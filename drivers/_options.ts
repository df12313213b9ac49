/**
 * Option schemas the drivers share. Upstream's JSON configs write numbers both as numbers and as
 * strings (`"port": "9902"`), so integer keys accept either; anything else is refused.
 * @module
 */
import { z } from "zod";

/** The schema type of `wholeNumber`: accepts number | digit string, gives a number. */
export type WholeNumber = z.ZodPipe<
  z.ZodUnion<readonly [z.ZodNumber, z.ZodPipe<z.ZodString, z.ZodTransform<number, string>>]>,
  z.ZodNumber
>;

/** An integer in [min, max], given as a number or a string of digits. */
export function wholeNumber(min: number, max: number): WholeNumber {
  return z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)], {
    error: `expected a whole number from ${min} to ${max}`,
  }).pipe(
    z.number().int().min(min).max(max),
  );
}

/** A TCP/UDP port key (1–65535) with the device's usual port as default. */
export function portNumber(fallback: number): z.ZodDefault<WholeNumber> {
  return wholeNumber(1, 65535).default(fallback);
}
