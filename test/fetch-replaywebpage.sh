#!/usr/bin/env bash
# ReplayWeb.page's prebuilt ui.js and sw.js, for test/e2e/evidence-replay.test.ts (which replays an
# evidence bundle in it). Only the package's tarball is used: its npm dependencies (Electron's updater,
# a newer warcio than the registry here has) are not needed for the two bundled files, and do not install.
set -euo pipefail
cd "$(dirname "$0")/.."
version=2.5.3
dest=node_modules/.cache/replaywebpage-$version
[ -f "$dest/sw.js" ] && [ -f "$dest/ui.js" ] && exit 0
mkdir -p "$dest"
tarball=$(npm pack "replaywebpage@$version" --pack-destination "$dest" --silent)
tar -xzf "$dest/$tarball" -C "$dest" --strip-components=1 package/ui.js package/sw.js package/LICENSE
rm "$dest/$tarball"
echo "ReplayWeb.page $version in $dest"
