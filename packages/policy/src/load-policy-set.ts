/**
 * Reading a policy set from disk: every `*.cedar` file of a directory (sorted by name, so ids and
 * reasons come out in a stable order) or an explicit list, and the schema file. The shipped
 * default set and schema are used when none is named.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CompileResult, compilePolicySet, type PolicySource } from "./cedar-policy-set.ts";
import { PolicyLoadError } from "./policy-load-error.ts";

/** The shipped default policies (packages/policy/policies). */
export const DEFAULT_POLICY_DIR = fileURLToPath(new URL("../policies", import.meta.url));
/** The shipped schema of the entity and context model (packages/policy/schema/baton.cedarschema). */
export const DEFAULT_SCHEMA_FILE = fileURLToPath(new URL("../schema/baton.cedarschema", import.meta.url));

/** Where to read a policy set from. */
export interface LoadPolicySetOptions {
  /** A directory whose `*.cedar` files form the set. Default: the shipped set. */
  readonly dir?: string;
  /** Explicit files instead of a directory. */
  readonly files?: readonly string[];
  /** The schema file. Default: the shipped schema. */
  readonly schemaFile?: string;
  /** IANA zone for local time and business hours. Default `UTC`. */
  readonly zone?: string;
  /** See `CompilePolicySetOptions.validateRequests`. Default false. */
  readonly validateRequests?: boolean;
}

function read(file: string): PolicySource | PolicyLoadError {
  try {
    return { file, text: readFileSync(file, "utf8") };
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return new PolicyLoadError("policy_dir_unreadable", `cannot read the file: ${why}`, { file });
  }
}

/** The `*.cedar` files of `dir`, sorted by name. */
export function policyFilesIn(dir: string): readonly string[] | PolicyLoadError {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith(".cedar"))
      .sort()
      .map((name) => join(dir, name));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return new PolicyLoadError("policy_dir_unreadable", `cannot list the policy directory: ${why}`, {
      file: dir,
    });
  }
}

/**
 * Loads, validates and pre-parses a policy set. Returns the set, or a {@link PolicyLoadError}
 * naming the file and line at fault; never throws for a bad file.
 *
 * @example
 * const loaded = loadPolicySet({ dir: "/etc/baton/policies", zone: "Europe/Paris" });
 * if (!loaded.ok) throw loaded.error; // e.g. policy_schema at rules.cedar:4:9
 * const decision = loaded.value.evaluate(input);
 */
export function loadPolicySet(options: LoadPolicySetOptions = {}): CompileResult {
  const files = options.files ?? policyFilesIn(options.dir ?? DEFAULT_POLICY_DIR);
  if (files instanceof PolicyLoadError) return { ok: false, error: files };
  const sources: PolicySource[] = [];
  for (const file of files) {
    const source = read(file);
    if (source instanceof PolicyLoadError) return { ok: false, error: source };
    sources.push(source);
  }
  const schema = read(options.schemaFile ?? DEFAULT_SCHEMA_FILE);
  if (schema instanceof PolicyLoadError) return { ok: false, error: schema };
  return compilePolicySet({
    sources,
    schema,
    ...(options.zone === undefined ? {} : { zone: options.zone }),
    ...(options.validateRequests === undefined ? {} : { validateRequests: options.validateRequests }),
  });
}
