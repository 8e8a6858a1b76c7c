import { z } from "zod";
import { Role } from "./access.js";
import { Instant } from "./json.js";

export const CreateKey = z.strictObject({
  name: z.string().trim().min(1, "name the key after its holder, e.g. alice or segment").max(100),
  role: Role,
});

/** `POST /api/keys` (201): the key, shown this once. */
export const CreatedKey = z.strictObject({ id: z.number(), key: z.string(), prefix: z.string(), name: z.string(), role: Role, note: z.string() });
export type CreatedKey = z.infer<typeof CreatedKey>;

/** `GET /api/keys`: newest first, revoked ones included. */
export const KeyList = z.strictObject({
  keys: z.array(
    z.strictObject({
      id: z.number(),
      name: z.string(),
      role: Role,
      prefix: z.string(),
      createdBy: z.string(),
      createdAt: Instant,
      lastUsedAt: Instant.nullable(),
      revokedAt: Instant.nullable(),
    }),
  ),
});
export type KeyList = z.infer<typeof KeyList>;

/** `DELETE /api/keys/:id`. */
export const Revoked = z.strictObject({ revoked: z.literal(true) });
