#!/usr/bin/env bash
# The packages as a user gets them: builds and packs each published package (`pnpm pack`, so the
# manifest is the one `pnpm publish` would upload), npm-installs the tarballs into a scratch project
# outside the workspace, and there
#   (a) runs test/packed/verify-chain.mjs with plain `node` (no tsx, no loader): a real chain
#       verified by @baton/verifier, DPoP proofs signed by @baton/client, allow and four denials;
#   (b) runs test/packed/quickstart.mjs, the root README's "Using the packages" example, the same
#       way against a real token service (the workspace's, on a loopback port, stopped after);
#   (c) type-checks test/packed/consumer-types.ts with `tsc --noEmit` against the installed `.d.ts`
#       files (NodeNext resolution, library declarations checked too), TypeScript being the
#       workspace's own version, installed from the registry.
# Nothing but the npm registry is reached; better-sqlite3 (under @baton/store-sqlite) compiles from
# source there, as it does for any user without a prebuilt binary.
# Usage: bash scripts/packed-install.sh [--no-build]   (BATON_PACKED_KEEP=1 keeps the scratch dir)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/published-packages.sh
pnpm=(npx -y pnpm@10.34.9)
started=$SECONDS
step() { echo "== [$((SECONDS - started)) s] $*"; }

work=$(mktemp -d)
service_pid=
cleanup() {
  if [ -n "$service_pid" ]; then kill "$service_pid" 2>/dev/null || true; fi
  if [ "${BATON_PACKED_KEEP:-}" = 1 ]; then echo "scratch project kept: $work/project"; else rm -rf "$work"; fi
}
trap cleanup EXIT
case "$work" in "$root"/*) echo "the scratch dir must be outside the workspace: $work" >&2; exit 1 ;; esac

if [ "${1:-}" != "--no-build" ]; then
  step "building ${PUBLISHED_PACKAGES[*]}"
  "${pnpm[@]}" build >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
fi

tarballs=()
for name in "${PUBLISHED_PACKAGES[@]}"; do
  (cd "packages/$name" && "${pnpm[@]}" pack --pack-destination "$work/tarballs" >/dev/null)
  tarballs+=("$(ls "$work"/tarballs/baton-"$name"-[0-9]*.tgz)")
done
step "packed ${#tarballs[@]} tarballs into $work/tarballs"

project=$work/project
mkdir -p "$project"
cp test/packed/verify-chain.mjs test/packed/quickstart.mjs test/packed/consumer-types.ts "$project/"
cp test/packed/consumer.tsconfig.json "$project/tsconfig.json"
cat >"$project/package.json" <<'JSON'
{ "name": "baton-packed-install", "version": "0.0.0", "private": true, "type": "module" }
JSON

typescript=$(node -p 'require("./node_modules/typescript/package.json").version')
types_node=$(node -p 'require("./node_modules/@types/node/package.json").version')
# hono is @baton/verifier's optional peer, needed by @baton/verifier/hono alone: the TypeScript
# consumer uses that entry too.
hono=$(node -p 'require("./packages/verifier/node_modules/hono/package.json").version')
step "npm install: the tarballs, typescript@$typescript, @types/node@$types_node, hono@$hono (better-sqlite3 compiles)"
(cd "$project" && npm install --no-audit --no-fund --loglevel=error \
  "${tarballs[@]}" "typescript@$typescript" "@types/node@$types_node" "hono@$hono" >"$work/npm-install.log" 2>&1) ||
  { cat "$work/npm-install.log"; exit 1; }
# What got installed must be the packed build, not a link back into the workspace.
for name in "${PUBLISHED_PACKAGES[@]}"; do
  installed=$project/node_modules/@baton/$name
  if [ -L "$installed" ] || [ ! -d "$installed/dist" ] || [ -e "$installed/src" ]; then
    echo "FAIL @baton/$name is not installed from its tarball (a link, no dist/, or sources shipped)" >&2
    exit 1
  fi
done

step "node verify-chain.mjs (plain Node $(node --version), no loader)"
(cd "$project" && env -u NODE_OPTIONS node verify-chain.mjs)

step "node quickstart.mjs (the README's example) against a token service on loopback"
BATON_OPERATOR_TOKEN=$(node -p 'require("node:crypto").randomBytes(32).toString("base64url")')
export BATON_OPERATOR_TOKEN
node apps/cli/bin/baton.js serve --port 0 --db "$work/baton.db" --log-level warn >"$work/service.out" 2>&1 &
service_pid=$!
for _ in $(seq 1 300); do
  if grep -q '^http://' "$work/service.out" 2>/dev/null || ! kill -0 "$service_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
service_url=$(grep -m1 -o '^http://[^ ]*' "$work/service.out") || { cat "$work/service.out"; exit 1; }
quickstart=$(cd "$project" && env -u NODE_OPTIONS BATON_URL="$service_url" node quickstart.mjs)
echo "$quickstart"
case "$quickstart" in "allow []"*) ;; *) echo "FAIL the README's example did not print: allow []" >&2; exit 1 ;; esac
kill "$service_pid" && wait "$service_pid" 2>/dev/null || true
service_pid=

step "tsc --noEmit consumer-types.ts against the installed types"
(cd "$project" && env -u NODE_OPTIONS node node_modules/typescript/bin/tsc -p tsconfig.json)

step "the packed packages install, run and type-check outside the workspace"
