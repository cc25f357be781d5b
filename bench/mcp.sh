#!/usr/bin/env bash
# bench/mcp.sh: what ward's MCP front costs over its HTTP API.
#
# Measures, in one run on one machine, a one-shot Python print(1) through
#
#   mcp   `ward mcp --pool N` over stdio, driven by the official MCP
#         TypeScript SDK client (Client + StdioClientTransport): tools/call
#         of run_code;
#   http  `ward serve --listen 127.0.0.1:PORT --pool N`: POST /v1/runs,
#         from node's http module with a keep-alive Agent (one connection),
#
# both servers running at once with the same pool, both clients in the same
# node process (bench/mcp.mjs), the calls interleaved in blocks. Prints min,
# median, p90 and mean in milliseconds, and MCP's median minus HTTP's.
# ward's target: the MCP path adds under 1 ms to the median. The table also
# goes to bench/results/mcp-latest.txt.
#
# The SDK is installed with npm, once, into $BUILD/bench/mcp (not into the
# source tree); that needs the network the first time.
#
# Environment (all optional):
#   RUNS=200      timed calls per path (at most 100000)
#   WARMUP=20     untimed calls per path first
#   BLOCK=10      calls per block when interleaving
#   POOL=16       warm sandboxes per language in both servers (1..64)
#   BUILD=<repo>/build                 meson build directory
#
# Needs root (ward serve and ward mcp run as root here), node and npm.
# Exit status: 0 done; 1 a call did not come back as a successful run
# printing "1" (the benchmark stops at the first), or a server did not stop
# cleanly; 2 setup failed (settings, build, npm, a server did not start).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
RUNS=${RUNS:-200}
WARMUP=${WARMUP:-20}
BLOCK=${BLOCK:-10}
POOL=${POOL:-16}
CACHE=$BUILD/bench/mcp
RESULTS_DIR=$ROOT/bench/results
NINJA_LOCK=/tmp/ward-ninja.lock
# The same SDK range as tests/mcp/package.json.
SDK_RANGE='^1.20.0'

die() {
	printf 'bench/mcp: %s\n' "$*" >&2
	exit 2
}

note() {
	printf 'bench/mcp: %s\n' "$*" >&2
}

is_count() { [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 >= $2 && 10#$1 <= $3)); }

is_count "$RUNS" 1 100000 || die "RUNS must be an integer in 1..100000, got '$RUNS'"
is_count "$WARMUP" 0 10000 || die "WARMUP must be an integer in 0..10000, got '$WARMUP'"
is_count "$BLOCK" 1 100000 || die "BLOCK must be an integer in 1..100000, got '$BLOCK'"
is_count "$POOL" 1 64 || die "POOL must be an integer in 1..64, got '$POOL'"
RUNS=$((10#$RUNS)) WARMUP=$((10#$WARMUP)) BLOCK=$((10#$BLOCK)) POOL=$((10#$POOL))
((RUNS >= 200)) || note "RUNS=$RUNS is below 200: fine for a smoke test, too few for p90"
((BLOCK * 4 <= POOL * 3)) ||
	note "BLOCK=$BLOCK takes the pool of $POOL below a quarter, where ward refills it during the block"

((EUID == 0)) || die "needs root: ward serve and ward mcp are measured as root runs them"
command -v node >/dev/null 2>&1 || die "needs node (apt-get install nodejs)"
command -v npm >/dev/null 2>&1 || die "needs npm (apt-get install npm)"

WORK=$(mktemp -d /tmp/ward-bench-mcp.XXXXXX)
NODE_PID=

# Stops what this script started: the node driver first (it stops both
# servers itself on SIGTERM), then, should it have died before doing so,
# each server it recorded: SIGTERM, then wait (SIGKILL after 30 s).
cleanup() {
	if [[ -n $NODE_PID ]] && kill -0 "$NODE_PID" 2>/dev/null; then
		kill -TERM "$NODE_PID" 2>/dev/null || true
		wait "$NODE_PID" 2>/dev/null || true
	fi
	local name pid i
	if [[ -f $WORK/pids ]]; then
		while read -r name pid; do
			[[ $(cat "/proc/$pid/comm" 2>/dev/null) == ward ]] || continue
			note "ward $name (pid $pid) still runs: SIGTERM"
			kill -TERM "$pid" 2>/dev/null || continue
			for ((i = 0; i < 300; i++)); do
				[[ $(cat "/proc/$pid/comm" 2>/dev/null) == ward ]] || break
				sleep 0.1
			done
			if [[ $(cat "/proc/$pid/comm" 2>/dev/null) == ward ]]; then
				note "ward $name (pid $pid) did not stop: SIGKILL"
				kill -KILL "$pid" 2>/dev/null || true
			fi
		done <"$WORK/pids"
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- build ------------------------------------------------------------------

[[ -f $BUILD/build.ninja ]] || die "no $BUILD/build.ninja (meson setup $BUILD first)"
if ! flock "$NINJA_LOCK" ninja -C "$BUILD" >"$WORK/build.log" 2>&1; then
	grep -E -m 20 'error:|FAILED:' "$WORK/build.log" >&2 || tail -n 20 "$WORK/build.log" >&2
	die "the build failed (above), so there is no ward to measure"
fi
WARD=$BUILD/ward
[[ -x $WARD ]] || die "no ward binary at $WARD after the build"

# --- the SDK ----------------------------------------------------------------

mkdir -p "$CACHE" || die "cannot create $CACHE"
cat >"$WORK/package.json" <<EOF
{
  "name": "ward-bench-mcp",
  "private": true,
  "description": "ward mcp against ward serve through the MCP TypeScript SDK client (bench/mcp.sh installs it).",
  "type": "module",
  "dependencies": {
    "@modelcontextprotocol/sdk": "$SDK_RANGE"
  }
}
EOF
if [[ ! -f $CACHE/node_modules/@modelcontextprotocol/sdk/package.json ]] ||
	! cmp -s "$WORK/package.json" "$CACHE/package.json"; then
	note "installing @modelcontextprotocol/sdk into $CACHE"
	cp "$WORK/package.json" "$CACHE/package.json"
	if ! (cd "$CACHE" && timeout 300 npm install --no-audit --no-fund --loglevel=error) >"$CACHE/npm.log" 2>&1; then
		tail -n 5 "$CACHE/npm.log" >&2
		rm -f "$CACHE/package.json" # so that the next run tries again
		die "npm install of @modelcontextprotocol/sdk failed (above; no network?)"
	fi
fi
cp "$ROOT/bench/mcp.mjs" "$CACHE/mcp.mjs"

# --- measure ----------------------------------------------------------------

# In the background and waited for, so that a signal to this script runs
# the trap at once instead of after node has finished.
set +e
(cd "$CACHE" && exec env WARD="$WARD" RUNS="$RUNS" WARMUP="$WARMUP" BLOCK="$BLOCK" POOL="$POOL" \
	PIDS_FILE="$WORK/pids" node mcp.mjs) >"$WORK/table" &
NODE_PID=$!
wait "$NODE_PID"
status=$?
NODE_PID=
set -e

if [[ -s $WORK/table ]]; then
	mkdir -p "$RESULTS_DIR"
	tee "$RESULTS_DIR/mcp-latest.txt" <"$WORK/table"
fi
case $status in
0) ;;
1) note "failed (above)"; exit 1 ;;
2) die "setup failed (above)" ;;
*) die "bench/mcp.mjs ended with status $status (a signal, or node itself failed)" ;;
esac
