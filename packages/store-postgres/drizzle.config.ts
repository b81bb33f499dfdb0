/**
 * drizzle-kit configuration: `pnpm --filter @baton/store-postgres generate` writes a new SQL
 * migration under `drizzle/` from the difference between `src/schema.ts` and the last snapshot.
 */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema.ts",
  out: "./drizzle",
});
