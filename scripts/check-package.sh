#!/usr/bin/env bash
# The package as npm would publish it: `exports` in step with the entries in src/, then one tarball checked by
# arethetypeswrong (every entry's types under node10, node16 from CommonJS and from ESM, and bundler
# resolution) and publint (package.json against the files), and free of source maps and references to them.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/package-entries.mjs
rm -rf .tmp/pack && mkdir -p .tmp/pack
npm pack --silent --pack-destination .tmp/pack >/dev/null   # prepack builds dist/
tarball=$(ls .tmp/pack/*.tgz)
npx attw "$tarball"
npx publint "$tarball" --strict
if tar -tzf "$tarball" | grep -q '\.map$'; then echo "the tarball ships source maps" >&2; exit 1; fi
if tar -xOzf "$tarball" | grep -aq 'sourceMappingURL'; then echo "the tarball references source maps" >&2; exit 1; fi
echo "package checks passed: $(tar -tzf "$tarball" | wc -l) files"
