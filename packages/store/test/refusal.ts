import { StoreError } from "../src/store-error.ts";

/** What a rule refused with: its code, field and message (a thrown non-`StoreError` fails the test). */
export function refusal(fn: () => unknown): { code: string; field: string | undefined; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof StoreError) return { code: error.code, field: error.field, message: error.message };
    throw error;
  }
  throw new Error("expected a StoreError, but the rule accepted");
}

/** Anything that is not a plain object: what a JSON body can hold in its place. */
export const NOT_AN_OBJECT = [undefined, null, 0, "x", true, [], [{}]] as const;

/** Delegation ids: 12 bytes in base64url as issued now (and 16, as issued before). */
export const DID = "AAAAAAAAAAAAAAAA";
export const OTHER_DID = "BBBBBBBBBBBBBBBB";
export const LEGACY_DID = "CCCCCCCCCCCCCCCCCCCCCA";
export const T0 = 1_800_000_000;
