#!/usr/bin/env bash
# Records the next release, or nothing: from the commits since the last v* tag (Conventional Commits),
# commit-and-tag-version (configured in .versionrc.json) picks the version, bumps package.json and package-lock.json,
# prepends the release's section to CHANGELOG.md, commits "chore(release): X.Y.Z" and tags vX.Y.Z. It pushes nothing.
# Without a feat, fix or breaking commit since the last tag it changes nothing. The first release (no v* tag yet) is
# the version package.json already has. Extra arguments go to commit-and-tag-version (`--dry-run` previews).
# In GitHub Actions it writes released=true|false and version=X.Y.Z to $GITHUB_OUTPUT (.github/workflows/release.yml).
set -euo pipefail
cd "$(dirname "$0")/.."
tagged() { git tag --points-at HEAD --list 'v[0-9]*'; }
before=$(tagged)
if git describe --tags --abbrev=0 --match 'v[0-9]*' >/dev/null 2>&1 || [[ " $* " == *" --release-as "* ]]; then
  # After a release, or a version named by hand (`--release-as 1.0.0`: the first release was cut that way).
  npx --no-install commit-and-tag-version "$@"
else
  npx --no-install commit-and-tag-version --first-release "$@"
fi
after=$(tagged)
version=$(node -p "require('./package.json').version")
released=false
if [ -n "$after" ] && [ "$after" != "$before" ]; then released=true; fi
echo "released=$released version=$version"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "released=$released" >> "$GITHUB_OUTPUT"
  echo "version=$version" >> "$GITHUB_OUTPUT"
fi
