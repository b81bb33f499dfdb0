/** Capabilities as a request gives them, in the canonical form tokens carry. */
import { type Capability, parseCapability } from "@baton/token";
import { refusals } from "./use-case-error.ts";

/** Validated capabilities in canonical form; an invalid one is a 400 `invalid_request`. */
export function canonicalCaps(raw: readonly unknown[]): Capability[] {
  return raw.map((value, i) => {
    const parsed = parseCapability(value, `cap[${i}]`);
    if (!parsed.ok) throw refusals.invalid(parsed.error.message);
    return parsed.value;
  });
}
