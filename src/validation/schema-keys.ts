import { z } from "zod";

type Schema = z.core.$ZodType;

/** The schemas a value at one place may be checked by, wrappers (optional, default, pipe, lazy…) removed. */
function resolve(schema: Schema, value: unknown, depth = 0): Schema[] {
  if (depth > 20) return [];
  const again = (inner: Schema) => resolve(inner, value, depth + 1);
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault || schema instanceof z.ZodPrefault) return again(schema.unwrap());
  if (schema instanceof z.ZodReadonly || schema instanceof z.ZodCatch || schema instanceof z.ZodNonOptional || schema instanceof z.ZodLazy) return again(schema.unwrap());
  // A preprocess is a pipe from a transform; a transform is a pipe into one: the object is on either side.
  if (schema instanceof z.ZodPipe) return [...again(schema.in), ...again(schema.out)];
  if (schema instanceof z.ZodIntersection) return [...again(schema.def.left), ...again(schema.def.right)];
  if (schema instanceof z.ZodUnion) {
    const options = schema.options.flatMap((option) => again(option));
    // Of a union of objects (steps, triggers), the ones whose literal settings the value has: its own kind.
    const fitting = options.filter((option) => option instanceof z.ZodObject && literalsMatch(option, value));
    return fitting.length > 0 ? fitting : options;
  }
  return [schema];
}

function literalsMatch(object: z.ZodObject, value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  let any = false;
  for (const [key, field] of Object.entries(object.shape)) {
    if (!(field instanceof z.ZodLiteral)) continue;
    any = true;
    if (!field.values.has((value as Record<string, unknown>)[key] as never)) return false;
  }
  return any;
}

/**
 * The settings an object in `data` may have at `path` (`["steps", 2]`), read from the schema that
 * validated it: what a typo'd key is compared with. Where the schema is a union (a step's `type`
 * decides its settings), the options that fit the value's own `type` are used. Undefined where the
 * schema has no object at that path.
 */
export function keysAt(schema: Schema, path: readonly PropertyKey[], data: unknown): string[] | undefined {
  let schemas = resolve(schema, data);
  let value = data;
  for (const segment of path) {
    value = typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[segment] : undefined;
    const next: Schema[] = [];
    for (const current of schemas) {
      let child: Schema | undefined;
      if (current instanceof z.ZodObject && typeof segment === "string") child = (current.shape as Record<string, Schema | undefined>)[segment];
      else if (current instanceof z.ZodArray && typeof segment === "number") child = current.element;
      else if (current instanceof z.ZodRecord) child = current.valueType;
      if (child) next.push(...resolve(child, value));
    }
    schemas = next;
  }
  const objects = schemas.filter((s) => s instanceof z.ZodObject);
  return objects.length > 0 ? [...new Set(objects.flatMap((object) => Object.keys(object.shape)))] : undefined;
}
