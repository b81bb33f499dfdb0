/**
 * Loads @biscuit-auth/biscuit-wasm 0.5 on Node 20 without `--experimental-wasm-modules`: its
 * entry point imports the .wasm file as an ES module, so we instantiate the module ourselves with
 * the JS glue and snippet modules it imports, exactly as that entry point would.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The classes of the wasm glue that the benchmark uses. */
export interface BiscuitModule {
  KeyPair: new () => { getPrivateKey(): unknown; getPublicKey(): unknown };
  Biscuit: {
    builder(): { addCode(code: string): void; build(root: unknown): BiscuitToken };
    block_builder(): { addCode(code: string): void };
    fromBytes(bytes: Uint8Array, root: unknown): BiscuitToken;
  };
}

export interface BiscuitToken {
  appendBlock(block: unknown): BiscuitToken;
  toBytes(): Uint8Array;
  countBlocks(): number;
  getAuthorizer(): {
    addCode(code: string): void;
    authorizeWithLimits(limits: unknown): number;
    free(): void;
  };
  free(): void;
}

type Imports = Record<string, Record<string, unknown>>;

/** The WebAssembly API (global in Node; the project's lib settings do not declare it). */
interface WasmApi {
  Module: (new (
    bytes: Uint8Array,
  ) => object) & {
    imports(module: object): { module: string }[];
  };
  Instance: new (module: object, imports: Imports) => { exports: Record<string, unknown> };
}

export async function loadBiscuit(): Promise<BiscuitModule> {
  // The package's exports hide package.json and the .wasm, so find it through bench/node_modules.
  const dir = fileURLToPath(new URL("../node_modules/@biscuit-auth/biscuit-wasm/module/", import.meta.url));
  const glue = (await import(pathToFileURL(path.join(dir, "biscuit_bg.js")).href)) as Record<
    string,
    unknown
  > & {
    __wbg_set_wasm(exports: Record<string, unknown>): void;
  };
  const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const module = new WebAssembly.Module(readFileSync(path.join(dir, "biscuit_bg.wasm")));
  const imports: Imports = {};
  for (const { module: name } of WebAssembly.Module.imports(module)) {
    if (imports[name] !== undefined) continue;
    imports[name] =
      name === "./biscuit_bg.js"
        ? glue
        : ((await import(pathToFileURL(path.join(dir, name)).href)) as Record<string, unknown>);
  }
  const instance = new WebAssembly.Instance(module, imports);
  glue.__wbg_set_wasm(instance.exports);
  // The start function logs one line ("biscuit-wasm loading"); keep stdout clean.
  const log = console.log;
  console.log = () => {};
  try {
    (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
  } finally {
    console.log = log;
  }
  return glue as unknown as BiscuitModule;
}
