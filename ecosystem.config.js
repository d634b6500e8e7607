// pm2 process file for the example service: the web server and the listener
// processes run side by side, like gunicorn next to `manage.py register_event_listeners`.
// run.sh sets the environment and starts this with pm2-runtime (foreground; Ctrl+C stops all).
// ESM: pm2 loads this file with require(), which returns this module's named exports.
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(fileURLToPath(import.meta.url));
const exampleDir = path.join(root, "example-app");

// Listeners drain for up to drainTimeoutMs (8 s in example-app/nats-events.config.js); the web
// server (gracefulShutdown in example-app/server.ts) gives requests in flight up to 3 s, then drains.
// pm2 must wait longer than that before it sends SIGKILL.
const KILL_TIMEOUT_MS = 12_000;
const embedded = process.env.EXAMPLE_EMBEDDED === "1";
const natsPort = process.env.EXAMPLE_NATS_PORT;

const natsServer = {
  name: "nats-server",
  script: process.env.NATS_SERVER_BIN ?? "nats-server",
  interpreter: "none",
  args: ["-a", "127.0.0.1", "-p", String(natsPort), "-js", "-sd", path.join(root, ".nats-data")],
  // pm2-runtime stops all apps at once, so on Ctrl+C the server may go before a listener
  // finished draining; that listener then logs the lost connection and exits 1.
  kill_timeout: 3_000,
};

const web = {
  name: "orders-web",
  script: path.join(root, "dist/example-app/server.js"),
  cwd: exampleDir,
  wait_ready: true,
  listen_timeout: 30_000,
  kill_timeout: KILL_TIMEOUT_MS,
  env: { PORT: process.env.PORT ?? "3000" },
};

const listeners = {
  name: "orders-listeners",
  script: path.join(root, "dist/src/cli/main.js"),
  args: ["register-listeners"],
  cwd: exampleDir,
  // Several processes in the same queue groups: NATS load-balances the events between them.
  instances: Number(process.env.LISTENER_INSTANCES ?? 2),
  exec_mode: "fork",
  wait_ready: true,
  listen_timeout: 30_000,
  kill_timeout: KILL_TIMEOUT_MS,
  // Each instance serves /livez, /readyz and /metrics on its own port: pm2 adds the instance
  // number to NATS_EVENTS_HEALTH_PORT (9464, 9465, ...), so instances never collide.
  env: {
    NATS_EVENTS_HEALTH_PORT: process.env.LISTENER_HEALTH_PORT ?? "9464",
    NATS_EVENTS_HEALTH_HOST: "127.0.0.1",
  },
  increment_var: "NATS_EVENTS_HEALTH_PORT",
};

export const apps = embedded ? [web] : [...(natsPort ? [natsServer] : []), listeners, web];
