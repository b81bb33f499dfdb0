import * as nodeCrypto from "node:crypto";
import { webcrypto } from "node:crypto";
import { fc, test } from "@fast-check/vitest";
import { afterEach, describe, expect, it } from "vitest";
import {
  activeCryptoBackend,
  detectCryptoBackend,
  type NodeCryptoModule,
  nodeCryptoBackend,
  type SubtleEd25519,
  webCryptoBackend,
} from "./crypto-backend.ts";

const getBuiltinModule = process.getBuiltinModule;
const globalCrypto = Object.getOwnPropertyDescriptor(globalThis, "crypto");

/** Makes the runtime look as if it had another `process.getBuiltinModule` (or none). */
function withBuiltinModules(lookup: ((id: string) => unknown) | undefined): void {
  Object.defineProperty(process, "getBuiltinModule", { value: lookup, configurable: true, writable: true });
}

afterEach(() => {
  withBuiltinModules(getBuiltinModule);
  if (globalCrypto !== undefined) Object.defineProperty(globalThis, "crypto", globalCrypto);
});

describe("the crypto backend", () => {
  it("is node:crypto on Node", () => {
    expect(activeCryptoBackend()).toBe("node:crypto");
  });

  it("is WebCrypto where process.getBuiltinModule is missing (a worker)", () => {
    withBuiltinModules(undefined);
    expect(detectCryptoBackend().name).toBe("webcrypto");
  });

  it("is WebCrypto where the runtime's node:crypto cannot verify Ed25519", () => {
    const broken = {
      ...nodeCrypto,
      verify: () => {
        throw new Error("Unsupported key type");
      },
    };
    withBuiltinModules((id) => (id === "node:crypto" ? broken : getBuiltinModule(id)));
    expect(detectCryptoBackend().name).toBe("webcrypto");
    withBuiltinModules((id) => (id === "node:crypto" ? { ...nodeCrypto, verify: () => false } : undefined));
    expect(detectCryptoBackend().name).toBe("webcrypto");
    withBuiltinModules(() => undefined);
    expect(detectCryptoBackend().name).toBe("webcrypto");
  });

  it("says what it needs when the runtime has neither", () => {
    withBuiltinModules(undefined);
    Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true });
    expect(() => detectCryptoBackend()).toThrow(/node:crypto .* or WebCrypto/);
  });

  test.prop([fc.string({ unit: "binary", maxLength: 300 })])(
    "hashes any text to the same SHA-256 with node:crypto and with plain JavaScript",
    (text) => {
      const node = nodeCryptoBackend(nodeCrypto as unknown as NodeCryptoModule);
      const web = webCryptoBackend(webcrypto.subtle as unknown as SubtleEd25519);
      expect(web.sha256Base64url(text)).toBe(node.sha256Base64url(text));
      expect(web.sha256Hex(text)).toBe(node.sha256Hex(text));
    },
  );

  test.prop([fc.string({ unit: "binary", maxLength: 300 })])(
    "hashes any text the same with node:crypto's one-shot hash and with a Hash object (runtimes without it)",
    (text) => {
      const oneShot = nodeCryptoBackend(nodeCrypto as unknown as NodeCryptoModule);
      const withoutOneShot = nodeCryptoBackend({
        ...nodeCrypto,
        hash: undefined,
      } as unknown as NodeCryptoModule);
      expect(oneShot.sha256Base64url(text)).toBe(withoutOneShot.sha256Base64url(text));
      expect(oneShot.sha256Hex(text)).toBe(withoutOneShot.sha256Hex(text));
    },
  );
});
