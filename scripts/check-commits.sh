#!/usr/bin/env bash
# Fails unless every commit after the cut-over to Conventional Commits follows the convention, checked by commitlint
# with @commitlint/config-conventional (.commitlintrc.json). The cut-over is 7a7a987, the last commit that does not
# follow it (README, "Releasing"); merge commits are left out, as commitlint does by default.
#
# It checks the git repository of the current directory (CI: a fresh clone of main, or of a pull request's merge),
# with the commitlint and the configuration of this project. A clone that does not hold the cut-over (a shallow one)
# is deepened if a remote can give the history; if the cut-over is still missing, it fails and says so rather than
# pass on commits it could not tell apart. No network is needed otherwise.
#
# COMMITLINT_CUTOVER overrides the cut-over (the tests of this script use it on repositories they make).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CUTOVER=${COMMITLINT_CUTOVER:-7a7a987802d77e7906c74a8e12672880539a6151}
short=${CUTOVER:0:7}

if ! git cat-file -e "$CUTOVER^{commit}" 2>/dev/null && [ "$(git rev-parse --is-shallow-repository)" = true ]; then
  echo "check-commits: the clone is shallow and does not hold the cut-over $short; fetching the full history"
  git fetch --quiet --unshallow || echo "check-commits: git fetch --unshallow failed" >&2
fi
if ! git merge-base --is-ancestor "$CUTOVER" HEAD 2>/dev/null; then
  echo "check-commits: the cut-over commit $short ($CUTOVER) is not in the history of HEAD" \
    "(shallow clone: $(git rev-parse --is-shallow-repository)), so the commits that must follow Conventional Commits" \
    "cannot be told from those before it. Check out the full history (actions/checkout with fetch-depth: 0, or" \
    "git fetch --unshallow) and run again." >&2
  exit 1
fi

count=$(git rev-list --count --no-merges "$CUTOVER..HEAD")
echo "check-commits: $count commits after the cut-over $short, checked by commitlint (@commitlint/config-conventional)"
node "$ROOT/node_modules/@commitlint/cli/cli.js" --config "$ROOT/.commitlintrc.json" --from "$CUTOVER" --to HEAD
