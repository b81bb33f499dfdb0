// The `source` export condition points the workspace at the TypeScript sources (see
// tsconfig.base.json's customConditions, vitest.config.ts and the bins). The published packages
// ship dist/ only, so `pnpm pack` drops that condition from the manifest it packs: a consumer whose
// own tooling enables a "source" condition must still get the built files.
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
      return manifest;
    },
  },
};
