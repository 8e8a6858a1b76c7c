import { defineConfig } from "drizzle-kit";

// Generates SQL migrations from src/db/schema into migrations/ (`npm run db:generate`).
// Rekindle applies them itself (`rekindle migrate`, and on start), so no credentials are needed here.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema/index.ts",
  out: "./migrations",
});
