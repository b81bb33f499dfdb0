# The packages published to the npm registry, in dependency order (each after what it imports).
# Sourced by check-packages.sh and packed-install.sh; packages/service and apps/* are not published.
PUBLISHED_PACKAGES=(token verifier policy client mcp store store-sqlite store-postgres core)
