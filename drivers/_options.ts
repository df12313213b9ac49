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

/**
 * How a key's value names a file: `file` (a file or folder; a relative one is taken from the
 * config file's folder) or `program` (a bare name is looked up in PATH; one with a `/` is a path
 * like a file's).
 */
export type PathKind = "file" | "program";

/**
 * The schemas whose values are paths. The config loader reads this marker on a driver's (and the
 * daemon's) schema to resolve relative paths against the config file's folder before the schema
 * runs: one rule, in one place, and a driver declares a path key by its type alone — a list of
 * key names beside each schema would drift from it, and no driver resolves paths itself.
 */
export const PATH_KEYS: z.core.$ZodRegistry<{ path: PathKind }> = z.registry<
  { path: PathKind }
>();

/** A key naming a file or folder (absolute, or relative to the config file's folder). */
export const FILE_PATH: z.ZodString = z.string().min(1).register(PATH_KEYS, { path: "file" });

/** A program to run: a name looked up in PATH, or a path (relative: to the config's folder). */
export const PROGRAM: z.ZodString = z.string().min(1).register(PATH_KEYS, { path: "program" });
