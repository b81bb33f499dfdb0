import { describe, expect, test } from "vitest";
import { CONFIG_DEFAULTS, ConfigError, loadConfig } from "./config.ts";

function settingOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.setting;
    throw error;
  }
  return undefined;
}

describe("loadConfig", () => {
  test("uses safe defaults: loopback, port 8787, ./baton.db, no issuer until listening", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8787,
      db: "./baton.db",
      issuer: undefined,
      operatorToken: undefined,
      defaultTtl: CONFIG_DEFAULTS.defaultTtl,
      maxTtl: CONFIG_DEFAULTS.maxTtl,
      revalidationInterval: CONFIG_DEFAULTS.revalidationInterval,
      maxDepth: CONFIG_DEFAULTS.maxDepth,
      clockSkew: CONFIG_DEFAULTS.clockSkew,
    });
  });

  test("reads BATON_* variables, and flags override them", () => {
    const config = loadConfig(
      {
        BATON_PORT: "9000",
        BATON_DB: "/tmp/x.db",
        BATON_ISSUER: "https://baton.example/",
        BATON_MAX_DEPTH: "3",
      },
      ["--port", "0", "--max-ttl=7200", "--default-ttl", "600"],
    );
    expect(config).toMatchObject({
      port: 0,
      db: "/tmp/x.db",
      issuer: "https://baton.example",
      maxDepth: 3,
      maxTtl: 7200,
      defaultTtl: 600,
    });
  });

  test("fails at start with the name of the bad setting", () => {
    expect(settingOf(() => loadConfig({ BATON_PORT: "http" }))).toBe("BATON_PORT");
    expect(settingOf(() => loadConfig({ BATON_PORT: "70000" }))).toBe("BATON_PORT");
    expect(settingOf(() => loadConfig({}, ["--port", "-1"]))).toBe("--port");
    expect(settingOf(() => loadConfig({ BATON_ISSUER: "ftp://x" }))).toBe("BATON_ISSUER");
    expect(settingOf(() => loadConfig({ BATON_ISSUER: "https://x/?q=1" }))).toBe("BATON_ISSUER");
    expect(settingOf(() => loadConfig({ BATON_DEFAULT_TTL: "7200", BATON_MAX_TTL: "3600" }))).toBe(
      "BATON_DEFAULT_TTL",
    );
    expect(settingOf(() => loadConfig({ BATON_REVALIDATION_INTERVAL: "0" }))).toBe(
      "BATON_REVALIDATION_INTERVAL",
    );
    expect(settingOf(() => loadConfig({ BATON_MAX_DEPTH: "16" }))).toBe("BATON_MAX_DEPTH");
    expect(settingOf(() => loadConfig({ BATON_CLOCK_SKEW: "1.5" }))).toBe("BATON_CLOCK_SKEW");
    expect(settingOf(() => loadConfig({ BATON_LOG_LEVEL: "loud" }))).toBe("BATON_LOG_LEVEL");
    expect(settingOf(() => loadConfig({ BATON_HOST: "a host" }))).toBe("BATON_HOST");
    expect(settingOf(() => loadConfig({ BATON_OPERATOR_TOKEN: "short" }))).toBe("BATON_OPERATOR_TOKEN");
    expect(settingOf(() => loadConfig({}, ["--verbose"]))).toBe("--verbose");
    expect(settingOf(() => loadConfig({}, ["--port"]))).toBe("--port");
  });

  test("refuses an operator token on the command line, where ps would show it", () => {
    expect(settingOf(() => loadConfig({}, ["--operator-token", "x".repeat(32)]))).toBe("--operator-token");
  });
});
