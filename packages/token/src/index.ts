export {
  type AgentKey,
  type Ed25519PublicJwk,
  ed25519KeyProblem,
  ed25519PublicJwk,
  jwkThumbprint,
  parseAgentJwk,
} from "./agent-key.ts";
export {
  type AuthorizationCredentials,
  type AuthorizationRefusal,
  CHAIN_SCHEME,
  chainAuthorization,
  DPOP_CHALLENGE_ALGS,
  DPOP_PROOF_ALGS,
  formatAuthorization,
  isChainScheme,
  parseAuthorization,
} from "./authorization.ts";
export {
  decodeBase64url,
  decodeBase64urlPortable,
  encodeBase64url,
  isBase64urlOfLength,
} from "./base64url.ts";
export {
  CHAIN_SEPARATOR,
  type ChainLimits,
  DEFAULT_MAX_CHAIN_LENGTH,
  decodeChain,
  encodeChain,
} from "./chain-encoding.ts";
export {
  audiencesCover,
  type ChainToken,
  checkHopAgainstParent,
  checkRoot,
  checkTime,
} from "./chain-rules.ts";
export {
  CLAIM_LIMITS,
  isAgentId,
  isAudience,
  isDelegationId,
  isRandomId,
  isStatusListUri,
  isTaskId,
  parseClaims,
  serializeClaims,
  type TokenClaims,
  type TokenStatus,
} from "./claims.ts";
export {
  type CompactJwsRules,
  type DecodedJws,
  decodeCompactJws,
  decodeJwsText,
  type JwsPart,
  type JwsRefusal,
  parseJwsObject,
} from "./compact-jws.ts";
export type { IsoWeekday, Reason, TaskHours } from "./contract.ts";
export { activeCryptoBackend, type CryptoBackendName } from "./crypto-backend.ts";
export { delegationIdAt, randomDelegationId, randomId, sha256Base64url, sha256Hex } from "./digest.ts";
export { INPUT_LIMITS } from "./input-limits.ts";
export {
  ed25519PublicKeyObject,
  importJwks,
  type Jwks,
  MAX_JWKS_KEYS,
  type ServicePublicJwk,
} from "./jwks.ts";
export {
  DEFAULT_MAX_TOKEN_BYTES,
  type DecodedToken,
  type DecodeTokenOptions,
  decodeToken,
  hasValidSignature,
  hasValidSignatureAsync,
  type KeyResolver,
  parseTokenPayload,
  type SigningKey,
  signToken,
  TOKEN_ALG,
  TOKEN_TYPE,
  type TokenHeader,
  tokenSignatureCheck,
  type VerifiedToken,
  verifyToken,
  verifyTokenAsync,
} from "./jws.ts";
export { isReasonCode, REASON_CODES, type ReasonCode } from "./reason-codes.ts";
export {
  type ArgumentLimit,
  type ArgumentLimits,
  allows,
  allowsAction,
  type Call,
  type Capability,
  capsCover,
  covers,
  MAX_LIMIT_VALUES,
  MAX_LIMITS_PER_CAPABILITY,
  MAX_PATTERN_LENGTH,
  parseCall,
  parseCapability,
} from "./scope.ts";
export {
  runSignatureChecks,
  runSignatureChecksSync,
  type SignatureChecking,
  signatureVerdict,
} from "./signature-checks.ts";
export {
  compressStatusList,
  DEFAULT_MAX_STATUS_LIST_BYTES,
  DEFAULT_MAX_STATUS_LIST_TOKEN_BYTES,
  type DecodedStatusListToken,
  type DecompressStatusListOptions,
  decodeStatusListToken,
  decompressStatusList,
  packStatusBits,
  parseStatusListClaim,
  parseStatusListTokenClaims,
  STATUS_LIST_BIT_SIZES,
  STATUS_LIST_MEDIA_TYPE,
  STATUS_LIST_TYPE,
  type StatusBits,
  type StatusListClaim,
  type StatusListTokenClaims,
  type StatusListTokenInput,
  signStatusListToken,
  statusAt,
  statusListSignatureCheck,
} from "./status-list.ts";
export { type JsonValue, parseStrictJson } from "./strict-json.ts";
export { minuteOfDay, TASK_HOURS_CLOCK_TIME } from "./task-hours.ts";
export { fail, ok, type Result, TokenError, type TokenErrorDetails } from "./token-error.ts";
export {
  Ed25519PublicKey,
  type NodePublicKeyObject,
  type SignatureCheck,
  type VerificationKey,
} from "./verification-key.ts";
