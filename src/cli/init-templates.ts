import type { ProjectFacts } from "./init-project.js";

/** The subject the sample listener handles, and the stream that stores it. */
export const SAMPLE = { subject: "hello.greeted", queueGroup: "hello-workers", stream: "HELLO", streamSubjects: "hello.>" } as const;

export const CONFIG_FILE = "nats-events.config.js";
export const ECOSYSTEM_FILE = "ecosystem.config.js";

/** Where the sample listener goes, and the glob of compiled listener modules the config lists. */
export function listenerPaths(project: ProjectFacts): { source: string; pattern: string } {
  if (project.typescript) return { source: `${project.sourceDir}/listeners/hello.listener.ts`, pattern: `${project.outDir}/**/*.listener.js` };
  return { source: "listeners/hello.listener.js", pattern: "listeners/*.listener.js" };
}

/** `export default x` or `module.exports = x`, whichever this project's .js files are. */
function exportDefault(project: ProjectFacts, value: string): string {
  return project.esm ? `export default ${value};\n` : `module.exports = ${value};\n`;
}

export function configFile(project: ProjectFacts): string {
  return `// express-nats-events configuration, read by the web process and by register-listeners.
// Every key: README "Configuration reference"; the environment overrides it (NATS_URL, NATS_TRANSPORT, ...).
${exportDefault(
  project,
  `{
  name: ${JSON.stringify(project.name)},
  // JetStream: events are stored, handlers ack after success, failures are retried, then dead-lettered.
  transport: "jetstream",
  streams: [{ name: "${SAMPLE.stream}", subjects: ["${SAMPLE.streamSubjects}"] }],
  // Compiled listener modules (files or globs), relative to this file, like Django's INSTALLED_APPS.
  listeners: [${JSON.stringify(listenerPaths(project).pattern)}],
}`,
)}`;
}

export function ecosystemFile(project: ProjectFacts): string {
  const header = project.esm
    ? `import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const root = path.dirname(fileURLToPath(import.meta.url));`
    : `const root = __dirname;`;
  const apps = `[
  {
    name: ${JSON.stringify(`${project.name}-web`)},
    script: ${JSON.stringify(project.serverScript)},
    cwd: root,
    // Online once the server calls process.send("ready") (after connectWithRetry); else after listen_timeout.
    wait_ready: true,
    listen_timeout: 30_000,
    kill_timeout: 15_000,
  },
  {
    name: ${JSON.stringify(`${project.name}-listeners`)},
    // The nats-events command of the installed package, wherever npm put it.
    script: require.resolve("express-nats-events/cli"),
    args: ["register-listeners"],
    cwd: root,
    // Processes in the same queue groups share the events; scale them apart from the web server.
    instances: Number(process.env.LISTENER_INSTANCES ?? 2),
    exec_mode: "fork",
    wait_ready: true, // online once every listener is subscribed
    listen_timeout: 30_000,
    // Longer than drainTimeoutMs (10 s by default): pm2 sends SIGKILL after it.
    kill_timeout: 15_000,
    // /livez, /readyz and /metrics per instance: pm2 adds the instance number (9464, 9465, ...).
    env: { NATS_EVENTS_HEALTH_PORT: process.env.NATS_EVENTS_HEALTH_PORT ?? "9464", NATS_EVENTS_HEALTH_HOST: "127.0.0.1" },
    increment_var: "NATS_EVENTS_HEALTH_PORT",
  },
]`;
  const exported = project.esm ? `export const apps = ${apps};\n` : `module.exports = { apps: ${apps.replace(/\n/g, "\n  ")} };\n`;
  return `// pm2 process file written by nats-events init: the web server and the listener processes side by side.
// Foreground (containers): npx pm2-runtime start ${ECOSYSTEM_FILE}    Background: npx pm2 start ${ECOSYSTEM_FILE}
${header}

${exported}`;
}

export function sampleListener(project: ProjectFacts): string {
  const log = `console.log(JSON.stringify({ msg: "${SAMPLE.subject} handled", name: data?.name, subject: ctx.subject, correlationId: ctx.correlationId, pid: process.pid }));`;
  if (project.typescript) {
    return `import { injectable } from "tsyringe";
import { Listen, type MessageContext } from "express-nats-events";

/**
 * A sample listener written by nats-events init. Constructor dependencies are injected (@injectable);
 * the queue group shares the events among all listener processes. Try:
 *   npx nats-events publish ${SAMPLE.subject} '{"name":"Ada"}'
 */
@injectable()
export class HelloListener {
  @Listen("${SAMPLE.subject}", "${SAMPLE.queueGroup}")
  async onGreeted(data: { name?: string }, ctx: MessageContext): Promise<void> {
    ${log}
  }
}
`;
  }
  const importLine = project.esm ? `import { defineListener } from "express-nats-events";` : `const { defineListener } = require("express-nats-events");`;
  const exportLine = project.esm ? "export { HelloListener };" : "module.exports = { HelloListener };";
  return `${importLine}

// A sample listener written by nats-events init, declared without decorators (plain JavaScript).
// Constructor dependencies go in defineListener's inject: [...], in parameter order. Try:
//   npx nats-events publish ${SAMPLE.subject} '{"name":"Ada"}'
class HelloListener {
  async onGreeted(data, ctx) {
    ${log}
  }
}

defineListener(HelloListener, {
  handlers: { onGreeted: { subject: "${SAMPLE.subject}", queueGroup: "${SAMPLE.queueGroup}" } },
});

${exportLine}
`;
}
