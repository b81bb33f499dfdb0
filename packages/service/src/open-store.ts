/**
 * The one place that picks a store adapter from a database location (`BATON_DB` / `--db`): a
 * `postgres://` or `postgresql://` URL opens the PostgreSQL adapter, anything else is a SQLite file
 * path (or `:memory:`). `baton serve`, the CLI's `--db` readers and `audit verify` all open their
 * database here, so they work on both.
 */
import type { SigningKeyStore, Store } from "@baton/store";
import { isPostgresUrl, openPostgresStore } from "@baton/store-postgres";
import { openSqliteStore } from "@baton/store-sqlite";

export { isPostgresUrl };

/** A store of either adapter: both ports. */
export type AnyStore = Store & SigningKeyStore;

export interface OpenStoreOptions {
  /** Told about a SQLite file whose mode was fixed (see `SqliteStoreOptions.onWarning`). */
  readonly onWarning?: (message: string) => void;
}

/** Opens (creating and migrating as needed) the database at `location`. */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<AnyStore> {
  if (isPostgresUrl(location)) return openPostgresStore(location);
  return openSqliteStore({
    path: location,
    ...(options.onWarning === undefined ? {} : { onWarning: options.onWarning }),
  });
}

/** `location` fit for a log line or a message: a URL's password is replaced by `***`. */
export function describeLocation(location: string): string {
  if (!isPostgresUrl(location)) return location;
  try {
    const url = new URL(location);
    if (url.password !== "") url.password = "***";
    return url.toString();
  } catch {
    return "(a PostgreSQL URL that does not parse)";
  }
}
