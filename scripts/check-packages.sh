#!/usr/bin/env bash
# Builds every published package, packs it as `pnpm publish` would, and lints the tarball:
#   - publint --strict: the manifest against the files actually packed (exports targets exist,
#     formats match "type", files list); warnings count as errors.
#   - attw --profile esm-only: the types each export resolves to, under node16 (from ESM) and
#     bundler resolution. The packages are ESM-only on purpose (Node 20.19+ require()s ESM), so the
#     two resolutions that cannot see ESM-only exports, node10 and node16-from-CJS, are not asked.
# Fails on the first package with an error.
# Usage: bash scripts/check-packages.sh [--no-build] [package …]   (default: every published package)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/published-packages.sh
pnpm=(npx -y pnpm@10.34.9)
started=$SECONDS

build=1
if [ "${1:-}" = "--no-build" ]; then build=0; shift; fi
if [ $# -gt 0 ]; then PUBLISHED_PACKAGES=("$@"); fi
packed=$(mktemp -d)
trap 'rm -rf "$packed"' EXIT
if [ "$build" = 1 ]; then
  echo "== building ${PUBLISHED_PACKAGES[*]}"
  for name in "${PUBLISHED_PACKAGES[@]}"; do
    "${pnpm[@]}" --dir "packages/$name" build >"$packed/build.log" 2>&1 || { cat "$packed/build.log"; exit 1; }
  done
fi
for name in "${PUBLISHED_PACKAGES[@]}"; do
  (cd "packages/$name" && "${pnpm[@]}" pack --pack-destination "$packed" >/dev/null)
  tarball=$(ls "$packed"/baton-"$name"-[0-9]*.tgz)
  # Nothing of the workspace's own wiring may leak into what is published.
  if tar -xOzf "$tarball" package/package.json | grep -q '"source"\|workspace:'; then
    echo "FAIL @baton/$name: the packed package.json still has a source condition or a workspace: range" >&2
    exit 1
  fi
  echo "== @baton/$name ($(du -k "$tarball" | cut -f1) kB packed, $(tar -tzf "$tarball" | wc -l) files)"
  "$root/node_modules/.bin/publint" run "$tarball" --strict
  "$root/node_modules/.bin/attw" "$tarball" --profile esm-only --format table-flipped --no-color --no-summary
done
echo "== all ${#PUBLISHED_PACKAGES[@]} packages pass publint and attw ($((SECONDS - started)) s)"
