/**
 * Loaded before every test file (vitest.config.ts, setupFiles). fast-check's default size keeps a
 * generated array or string to about ten elements whatever `maxLength` says, so a property asking
 * for up to 2,000 characters or 300 operations never saw more than ten. With this, an explicit
 * bound is a real one: cases are spread up to it (an arbitrary that sets its own `size` keeps it).
 */
import { configureGlobal } from "fast-check";

configureGlobal({ defaultSizeToMaxWhenMaxSpecified: true });
