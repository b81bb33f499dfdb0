/**
 * Step-up approvals a token carries in `apv`, bound to what they approve. An approval id is
 * self-describing: `ap` + 22 random characters + the first 22 characters of
 * base64url(SHA-256(did, action, resource)). An offline verifier can therefore tell, from the
 * signed token alone, whether an id approves *this* call for *this* delegation: an approval for
 * `did` A never covers did B, nor another action or resource. Expiry is enforced by the service,
 * which caps the `rvl` of a token carrying an approval at the approval's expiry (see README).
 */
import { randomId, sha256Base64url } from "@baton/token";

const BINDING_CHARS = 22;
const APPROVAL_ID = /^ap[A-Za-z0-9_-]{22}([A-Za-z0-9_-]{22})$/;

/** What an approval approves: one action on one resource, for one delegation. */
export interface ApprovalSubject {
  readonly did: string;
  readonly action: string;
  readonly resource: string;
}

function bindingOf(subject: ApprovalSubject): string {
  // Newlines cannot occur in a did, an action or a resource, so the encoding is unambiguous.
  return sha256Base64url(`baton-approval\n${subject.did}\n${subject.action}\n${subject.resource}`).slice(
    0,
    BINDING_CHARS,
  );
}

/** A fresh approval id bound to `subject` (46 characters, within `apv`'s 64). */
export function newApprovalId(subject: ApprovalSubject): string {
  return `ap${randomId()}${bindingOf(subject)}`;
}

/** True when approval `id` was issued for exactly `subject`. */
export function approvalCovers(id: string, subject: ApprovalSubject): boolean {
  const match = APPROVAL_ID.exec(id);
  return match !== null && match[1] === bindingOf(subject);
}

/**
 * The approval ids among a token's `apv` that cover `action` on `resource` for that token's own
 * `did`: the approvals the holder may use for this call.
 */
export function approvalsFor(
  claims: { readonly did: string; readonly apv?: readonly string[] | undefined },
  action: string,
  resource: string,
): string[] {
  const subject = { did: claims.did, action, resource };
  return (claims.apv ?? []).filter((id) => approvalCovers(id, subject));
}
