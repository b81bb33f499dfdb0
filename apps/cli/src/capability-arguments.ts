/**
 * Capabilities on the command line: `--cap ACTION=RESOURCE` (repeatable), or `--caps-json` for
 * the full form with limits. Checked with the token package's parser, so a pattern the service
 * would refuse is refused here first, with the same message.
 */
import { type Capability, parseCapability } from "@baton/token";
import { usageError } from "./cli-error.ts";

/** Parses `--cap` values and a `--caps-json` array into capabilities; throws a usage error. */
export function parseCapabilityArguments(
  caps: readonly string[],
  capsJson: string | undefined,
): Capability[] {
  const raw: unknown[] = [];
  for (const spec of caps) {
    // Action segments never contain `=`, so the first `=` separates action from resource.
    const at = spec.indexOf("=");
    if (at <= 0 || at === spec.length - 1) {
      throw usageError(
        `--cap must be ACTION=RESOURCE (e.g. repo.issues.*=repo:acme/web/**), got ${JSON.stringify(spec)}`,
      );
    }
    raw.push({ act: spec.slice(0, at), res: spec.slice(at + 1) });
  }
  if (capsJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(capsJson);
    } catch {
      throw usageError(
        '--caps-json must be a JSON array like [{"act":"mail.send","res":"mailbox:acme/**","lim":{"to":{"max":5}}}]',
      );
    }
    if (!Array.isArray(parsed)) throw usageError("--caps-json must be a JSON array of capabilities");
    raw.push(...parsed);
  }
  if (raw.length === 0)
    throw usageError("give at least one capability: --cap ACTION=RESOURCE or --caps-json");
  return raw.map((value, index) => {
    const parsed = parseCapability(value, `cap[${index}]`);
    if (!parsed.ok) throw usageError(`capability ${index + 1} is refused: ${parsed.error.message}`);
    return parsed.value;
  });
}
