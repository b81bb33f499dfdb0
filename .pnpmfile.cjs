// What `pnpm pack` / `pnpm publish` change in a package's manifest on its way out of the workspace.
// The `source` export condition points the workspace at the TypeScript sources (see
// tsconfig.base.json's customConditions, vitest.config.ts and the bins); the published packages
// ship dist/ only, so the condition is dropped: a consumer whose own tooling enables a "source"
// condition must still get the built files. The scripts (build, migration generation) only make
// sense inside the workspace. (Editing this file changes pnpm-lock.yaml's pnpmfileChecksum: run
// `pnpm install` and commit the lockfile with it.)
function withoutSourceCondition(target) {
  if (target === null || typeof target !== "object" || Array.isArray(target)) return target;
  const kept = {};
  for (const [key, value] of Object.entries(target)) {
    if (key !== "source") kept[key] = withoutSourceCondition(value);
  }
  return kept;
}

module.exports = {
  hooks: {
    beforePacking(manifest) {
      if (manifest.exports) manifest.exports = withoutSourceCondition(manifest.exports);
      delete manifest.scripts;
      return manifest;
    },
  },
};
