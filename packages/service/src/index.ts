export { type AppConfig, type AppDeps, createApp } from "./app.ts";
export {
  CONFIG_DEFAULTS,
  ConfigError,
  checkIssuer,
  configUsage,
  defaultKekSource,
  LOG_LEVELS,
  type LogLevel,
  loadConfig,
  type ServiceConfig,
} from "./config.ts";
export {
  decodeKek,
  generateKek,
  type KekSource,
  KeyEncryptionError,
  type KeyEncryptionErrorCode,
  type KeyEncryptionKey,
  type LoadedKek,
  loadKek,
  readKekFile,
  writeKekFile,
} from "./key-encryption.ts";
export {
  type AnyStore,
  describeLocation,
  isPostgresUrl,
  type OpenStoreOptions,
  openStore,
} from "./open-store.ts";
export type { ServiceBindings } from "./openapi.ts";
export { type ProblemCode, SERVICE_ERROR_CODES } from "./problem.ts";
export { generateAudienceSecret, generateOperatorToken, hashSecret, secretMatches } from "./secrets.ts";
export {
  type PreparedStore,
  prepareStore,
  type RunningServer,
  type StartServerOptions,
  startServer,
} from "./server.ts";
export { SigningKeys, type SigningKeysOptions, sealedKekIds } from "./signing-keys.ts";
