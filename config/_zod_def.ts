/**
 * What config/ reads of a zod schema's definition (`_zod.def`, which zod documents for library
 * authors): the key suggestions (mod.ts `keysAt`) and the path resolution (`_paths.ts`) walk
 * schemas the same way, through the same wrappers.
 * @module
 */
import type { z } from "zod";

/** The parts of a definition the walks read. */
export interface ZodDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
}

/** `schema`'s definition, or undefined for something that is not a zod schema. */
export function zodDef(schema: z.ZodType | undefined): ZodDef | undefined {
  return (schema as { _zod?: { def?: ZodDef } } | undefined)?._zod?.def;
}

/** Schema types that stand for another: their inner type (a pipe: its input) is what is walked. */
const WRAPPERS = new Set([
  "optional",
  "default",
  "prefault",
  "nullable",
  "readonly",
  "nonoptional",
  "pipe",
]);

/** Whether `def` is a wrapper (optional, default, …, pipe). */
export function isWrapper(def: ZodDef): boolean {
  return WRAPPERS.has(def.type);
}

/** The schema a wrapper stands for: a pipe's input, the others' inner type. */
export function unwrap(def: ZodDef): z.ZodType | undefined {
  return def.type === "pipe" ? def.in : def.innerType;
}

/** A plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
