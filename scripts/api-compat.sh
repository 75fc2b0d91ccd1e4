#!/usr/bin/env bash
# The compatibility guard (issue 36): compares the public API the build just made (.jsii, from `npm run compile`) with
# the baseline kept in compat/.api-baseline (the assembly of the last release, and the one this guard started from
# before the first), with jsii-diff, the tool aws-cdk-lib's own build uses. A change jsii-diff calls breaking (a
# member or type removed, a type narrowed, a prop made required) fails, unless a commit since the baseline says so in
# Conventional Commits form (`type!:` or a `BREAKING CHANGE:` footer): then the release workflow makes it a major
# version, and the changelog lists it. The release refreshes the baseline (.versionrc.json's postbump). Every API
# counts (--error-on all): the package is stable since 1.0.0, and a member marked @experimental would count too. The
# baseline's folder starts with a dot so that jsii-docgen, which reads every `**/.jsii` under the project (dot folders
# left out) and keeps the last one of each name and version, documents this build's API, not the baseline's.
#
#   bash scripts/api-compat.sh            check (npm test runs it after compile)
#   bash scripts/api-compat.sh --update   make the current API the baseline
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=compat/.api-baseline
if [ "${1:-}" = "--update" ]; then
  mkdir -p "$BASE"
  cp .jsii "$BASE/.jsii"
  # The assembly's package: the name, version and dependencies jsii-diff resolves the assembly's types against (from
  # this repository's node_modules, which Node finds above compat/).
  node -e '
    const p = require("./package.json");
    const keep = { name: p.name, version: p.version, main: p.main, types: p.types, jsii: p.jsii, peerDependencies: p.peerDependencies };
    require("fs").writeFileSync(process.argv[1], JSON.stringify(keep, null, 2) + "\n");' "$BASE/package.json"
  echo "api-compat: $BASE is now the API of $(node -p 'require("./package.json").version')"
  exit 0
fi
[ -f .jsii ] || { echo "api-compat: no .jsii: run npm run compile first" >&2; exit 2; }
since=$(git log -1 --format=%H -- "$BASE/.jsii")
[ -n "$since" ] || { echo "api-compat: $BASE/.jsii is not committed" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
npx --no-install jsii-diff --keys --error-on all "$BASE" . >"$out" 2>&1 || rc=$?
# jsii-diff exits 0 without a breaking change, 1 with one, and otherwise on an error of its own.
report=$(grep -v -e '^!!' -e '^\s*$' "$out" || true)
if [ "$rc" -eq 0 ]; then
  echo "api-compat: no breaking change against the baseline (commit ${since:0:7})"
  exit 0
fi
if [ "$rc" -ne 1 ]; then
  echo "api-compat: jsii-diff failed (exit $rc):" >&2
  printf '%s\n' "$report" >&2
  exit 2
fi
marked=$(git log --format='%h %s%n%b' "$since"..HEAD | grep -E '^[0-9a-f]+ [a-z]+(\([^)]*\))?!: |^BREAKING CHANGE: ' || true)
if [ -n "$marked" ]; then
  echo "api-compat: breaking changes against the baseline (commit ${since:0:7}), marked by commits since:"
  printf '%s\n' "$report" | grep '^err' | sed 's/^/  /'
  printf '%s\n' "$marked" | sed 's/^/  marked: /'
  exit 0
fi
echo "api-compat: breaking changes against the baseline (commit ${since:0:7}), and no commit since marks one" >&2
echo "(a Conventional Commit with '!' after its type, or a 'BREAKING CHANGE:' footer, with the migration):" >&2
printf '%s\n' "$report" | grep '^err' | sed 's/^/  /' >&2
exit 1
