#!/bin/bash
# tests/mcp: installs the MCP TypeScript SDK (once, cached under the build
# directory) and runs sdk-test.mjs against $WARD. Exits 77 when node or npm
# is missing or the install fails (no network), 0 pass, 1 fail.
set -u
SRC=$(cd "$(dirname "$0")" && pwd)
CACHE=${WARD_MCP_CACHE:-${WARD_BUILD_DIR:-$SRC/../../build}/tests/mcp}
WARD=${WARD:-$SRC/../../build/ward}
skip() { echo "SKIP [mcp-sdk]: $*" >&2; exit 77; }
command -v node >/dev/null 2>&1 || skip "needs node"
command -v npm >/dev/null 2>&1 || skip "needs npm"
mkdir -p "$CACHE" || skip "cannot create $CACHE"
if [ ! -f "$CACHE/node_modules/@modelcontextprotocol/sdk/package.json" ] ||
   ! cmp -s "$SRC/package.json" "$CACHE/package.json"; then
  cp "$SRC/package.json" "$CACHE/package.json"
  if ! (cd "$CACHE" && timeout 300 npm install --no-audit --no-fund --loglevel=error) >"$CACHE/npm.log" 2>&1; then
    skip "npm install of @modelcontextprotocol/sdk failed (no network?): $(tail -3 "$CACHE/npm.log")"
  fi
fi
cp "$SRC/sdk-test.mjs" "$CACHE/sdk-test.mjs"
cd "$CACHE" && WARD=$WARD exec node sdk-test.mjs
