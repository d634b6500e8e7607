#!/usr/bin/env bash
# Runs the example service in the foreground under pm2-runtime: web server +
# register-listeners processes (+ a local nats-server when one is installed).
# Ctrl+C stops everything. Environment: NATS_URL (use that server), PORT (HTTP, default 3000),
# LISTENER_INSTANCES (default 2).
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "run.sh: installing dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi
echo "run.sh: building"
npm run build --silent

export PM2_HOME="${PM2_HOME:-$PWD/.pm2}"
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# Debian installs nats-server in /usr/sbin, outside a normal user's PATH.
if [ -z "${NATS_SERVER_BIN:-}" ] && ! command -v nats-server >/dev/null 2>&1 && [ -x /usr/sbin/nats-server ]; then
  export NATS_SERVER_BIN=/usr/sbin/nats-server
fi

if [ -n "${NATS_URL:-}" ]; then
  echo "run.sh: using NATS at $(echo "$NATS_URL" | sed -E 's#://[^@/]*@#://***@#g')"
elif [ -n "${NATS_SERVER_BIN:-}" ] || command -v nats-server >/dev/null 2>&1; then
  EXAMPLE_NATS_PORT="${EXAMPLE_NATS_PORT:-$(free_port)}"
  export EXAMPLE_NATS_PORT NATS_URL="nats://127.0.0.1:${EXAMPLE_NATS_PORT}"
  echo "run.sh: starting nats-server on 127.0.0.1:${EXAMPLE_NATS_PORT} (JetStream data in .nats-data/)"
else
  echo "run.sh: WARNING: nats-server is not installed and NATS_URL is not set." >&2
  echo "run.sh: running the EMBEDDED single-process mode (memory transport, listeners inside the web process)." >&2
  echo "run.sh: for the real thing: apt-get install nats-server (or set NATS_URL=nats://host:4222) and run ./run.sh again." >&2
  export NATS_TRANSPORT=memory EXAMPLE_EMBEDDED=1
fi

echo "run.sh: events dashboard: http://127.0.0.1:${PORT:-3000}/events/ (read-only; EVENTS_DASHBOARD_PASSWORD=... adds replay/discard for user admin)"
echo "run.sh: try:  curl -s -XPOST localhost:${PORT:-3000}/orders -H 'content-type: application/json' -d '{\"sku\":\"BOOK-1\",\"quantity\":2,\"email\":\"ada@example.com\"}'"
# pm2-runtime runs in its own session so Ctrl+C reaches it once (and it stops each app once),
# instead of the terminal signalling every child directly as well.
setsid node_modules/.bin/pm2-runtime start ecosystem.config.js &
pm2_pid=$!
trap 'kill -INT "$pm2_pid" 2>/dev/null' INT TERM
wait "$pm2_pid" || wait "$pm2_pid"
