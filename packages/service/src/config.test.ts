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

  describe("runtime policy settings", () => {
    test("default to the shipped policy set, UTC and one-hour approvals", () => {
      const config = loadConfig({});
      expect(config.policyDir).toBeUndefined();
      expect(config.policyZone).toBe("UTC");
      expect(config.approvalTtl).toBe(3600);
      expect(CONFIG_DEFAULTS).toMatchObject({ policyZone: "UTC", approvalTtl: 3600 });
    });

    test("read BATON_POLICY_DIR, BATON_POLICY_ZONE and BATON_APPROVAL_TTL", () => {
      expect(
        loadConfig({
          BATON_POLICY_DIR: "/etc/baton/policies",
          BATON_POLICY_ZONE: "Europe/Paris",
          BATON_APPROVAL_TTL: "600",
        }),
      ).toMatchObject({ policyDir: "/etc/baton/policies", policyZone: "Europe/Paris", approvalTtl: 600 });
    });

    test("let --policy-dir, --policy-zone and --approval-ttl override the environment", () => {
      const config = loadConfig(
        { BATON_POLICY_DIR: "/from/env", BATON_POLICY_ZONE: "Europe/Paris", BATON_APPROVAL_TTL: "600" },
        ["--policy-dir", "/from/flag", "--policy-zone=America/New_York", "--approval-ttl", "120"],
      );
      expect(config).toMatchObject({
        policyDir: "/from/flag",
        policyZone: "America/New_York",
        approvalTtl: 120,
      });
      expect(loadConfig({}, ["--policy-dir=./policies"]).policyDir).toBe("./policies");
    });

    test("treat an empty variable as unset", () => {
      expect(
        loadConfig({ BATON_POLICY_DIR: "", BATON_POLICY_ZONE: "", BATON_APPROVAL_TTL: "" }),
      ).toMatchObject({
        policyDir: undefined,
        policyZone: "UTC",
        approvalTtl: 3600,
      });
    });

    test("refuse a policy directory that is not a path, naming the setting", () => {
      expect(settingOf(() => loadConfig({ BATON_POLICY_DIR: "/etc/\0baton" }))).toBe("BATON_POLICY_DIR");
      expect(settingOf(() => loadConfig({}, ["--policy-dir", "a\0b"]))).toBe("--policy-dir");
      expect(settingOf(() => loadConfig({}, ["--policy-dir"]))).toBe("--policy-dir");
    });

    test("read the AuthZEN access policy directory from BATON_AUTHZEN_POLICY_DIR or --authzen-policy-dir", () => {
      expect(loadConfig({}).authzenPolicyDir).toBeUndefined();
      expect(loadConfig({ BATON_AUTHZEN_POLICY_DIR: "/etc/baton/authzen" }).authzenPolicyDir).toBe(
        "/etc/baton/authzen",
      );
      expect(
        loadConfig({ BATON_AUTHZEN_POLICY_DIR: "/from/env" }, ["--authzen-policy-dir", "/from/flag"])
          .authzenPolicyDir,
      ).toBe("/from/flag");
      expect(settingOf(() => loadConfig({ BATON_AUTHZEN_POLICY_DIR: "a\0b" }))).toBe(
        "BATON_AUTHZEN_POLICY_DIR",
      );
    });

    test("refuse a zone that is not an IANA time zone, naming the setting", () => {
      for (const zone of ["Mars/Olympus_Mons", "Europe/Pariss", "not a zone", "UTC+25"]) {
        expect({ zone, setting: settingOf(() => loadConfig({ BATON_POLICY_ZONE: zone })) }).toEqual({
          zone,
          setting: "BATON_POLICY_ZONE",
        });
      }
      expect(
        settingOf(() => loadConfig({ BATON_POLICY_ZONE: "Europe/Paris" }, ["--policy-zone", "Nowhere/City"])),
      ).toBe("--policy-zone");
    });

    test("refuse an approval TTL that is not a whole number of seconds in range, naming the setting", () => {
      for (const value of ["1.5", "-5", "-0", "ten", "1e3", "0x10", " 600", "600s", "59", "2592001", "0"]) {
        expect({ value, setting: settingOf(() => loadConfig({ BATON_APPROVAL_TTL: value })) }).toEqual({
          value,
          setting: "BATON_APPROVAL_TTL",
        });
      }
      expect(settingOf(() => loadConfig({}, ["--approval-ttl", "-1"]))).toBe("--approval-ttl");
      expect(settingOf(() => loadConfig({}, ["--approval-ttl=1.5"]))).toBe("--approval-ttl");
      // The bounds themselves are accepted: one minute to thirty days.
      expect(loadConfig({ BATON_APPROVAL_TTL: "60" }).approvalTtl).toBe(60);
      expect(loadConfig({ BATON_APPROVAL_TTL: "2592000" }).approvalTtl).toBe(2_592_000);
    });
  });

  test("refuses an operator token on the command line, where ps would show it", () => {
    expect(settingOf(() => loadConfig({}, ["--operator-token", "x".repeat(32)]))).toBe("--operator-token");
  });

  /** @see issue 14 (keys at rest) */
  describe("key-encryption key", () => {
    const KEK = "A".repeat(43);

    test("defaults to <db>.kek beside the database, and to a throw-away key for :memory:", () => {
      expect(loadConfig({ BATON_DB: "/srv/baton/b.db" }).kek).toEqual({
        kind: "file",
        path: "/srv/baton/b.db.kek",
        setting: "the KEK file beside the database",
      });
      expect(loadConfig({ BATON_DB: ":memory:" }).kek).toEqual({ kind: "ephemeral" });
    });

    test("reads BATON_KEK or BATON_KEK_FILE (--kek-file wins over the variable)", () => {
      expect(loadConfig({ BATON_KEK: KEK }).kek).toEqual({ kind: "env", value: KEK });
      expect(loadConfig({ BATON_KEK_FILE: "/k" }).kek).toEqual({
        kind: "file",
        path: "/k",
        setting: "BATON_KEK_FILE",
      });
      expect(loadConfig({ BATON_KEK_FILE: "/k" }, ["--kek-file", "/j"]).kek).toMatchObject({ path: "/j" });
    });

    test("refuses a KEK that is not 32 bytes of base64url, both a KEK and a file, and a KEK flag", () => {
      expect(settingOf(() => loadConfig({ BATON_KEK: "too-short" }))).toBe("BATON_KEK");
      expect(settingOf(() => loadConfig({ BATON_KEK: `${KEK}=` }))).toBe("BATON_KEK");
      expect(settingOf(() => loadConfig({ BATON_KEK: KEK, BATON_KEK_FILE: "/k" }))).toBe("BATON_KEK");
      expect(settingOf(() => loadConfig({}, ["--kek", KEK]))).toBe("--kek");
    });

    test("never echoes the KEK in an error", () => {
      const secret = "s3cr3t-".repeat(7);
      let message = "";
      try {
        loadConfig({ BATON_KEK: secret });
      } catch (error) {
        message = String(error);
      }
      expect(message).toContain("BATON_KEK");
      expect(message).not.toContain("s3cr3t");
    });
  });

  describe("status lists", () => {
    test("are on by default with a 30 s ttl, and BATON_STATUS_LISTS / --status-lists turn them off", () => {
      expect(loadConfig({})).toMatchObject({ statusLists: true, statusListTtl: 30 });
      expect(loadConfig({ BATON_STATUS_LISTS: "off" }).statusLists).toBe(false);
      expect(loadConfig({ BATON_STATUS_LISTS: "off" }, ["--status-lists", "on"]).statusLists).toBe(true);
      expect(loadConfig({ BATON_STATUS_LIST_TTL: "120" }).statusListTtl).toBe(120);
    });

    test("refuse anything but on or off, and a ttl outside 1 to 86400, naming the setting", () => {
      expect(settingOf(() => loadConfig({ BATON_STATUS_LISTS: "yes" }))).toBe("BATON_STATUS_LISTS");
      expect(settingOf(() => loadConfig({ BATON_STATUS_LIST_TTL: "0" }))).toBe("BATON_STATUS_LIST_TTL");
      expect(settingOf(() => loadConfig({}, ["--status-list-ttl", "86401"]))).toBe("--status-list-ttl");
    });
  });
});
