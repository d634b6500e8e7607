import path from "node:path";
import { lilconfig, type Loader } from "lilconfig";
import { pathToFileURL } from "node:url";
import { didYouMean } from "../did-you-mean.js";
import { ErrorCodes, EventBusError } from "../errors.js";
import { subjectProblem } from "../subject.js";
import { configFileError } from "./config-file-error.js";
import { streamsProblem } from "./stream-options.js";
import { defaultOptions, redactCredentials, type EventBusOptions, type EventBusOptionsInput } from "./options.js";

export interface LoadOptionsContext {
  /** Where the config file search starts (default: process.cwd()). */
  cwd?: string;
  /** An explicit config file; skips the search. */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedOptions {
  options: EventBusOptions;
  /** The config file that was read, if any; listener patterns from it are relative to its folder. */
  configFile: string | undefined;
}

/** ESM `export default {...}` and CommonJS `module.exports = {...}` both arrive as `default`. */
const importLoader: Loader = async (filepath) => {
  const module = (await import(pathToFileURL(filepath).href)) as { default?: unknown };
  return module.default ?? module;
};
const jsonLoader: Loader = (_filepath, content) => JSON.parse(content.replace(/^\uFEFF/, "")) as unknown;

const CONFIG_NAMES = ["package.json", "nats-events.config.js", "nats-events.config.mjs", "nats-events.config.cjs"];

/** Environment variables, the option each one sets, and how its text is read. Documented in the README. */
type EnvKind = "text" | "list" | "integer" | "boolean";
const ENV_VARS: Record<string, readonly [option: string, kind: EnvKind]> = {
  NATS_TRANSPORT: ["transport", "text"],
  NATS_URL: ["servers", "list"],
  NATS_NAME: ["name", "text"],
  NATS_USER: ["auth.user", "text"],
  NATS_PASSWORD: ["auth.pass", "text"],
  NATS_TOKEN: ["auth.token", "text"],
  NATS_NKEY_SEED: ["auth.nkeySeed", "text"],
  NATS_CREDS: ["auth.credsFile", "text"],
  NATS_TLS_CA: ["tls.ca", "text"],
  NATS_TLS_CERT: ["tls.cert", "text"],
  NATS_TLS_KEY: ["tls.key", "text"],
  NATS_MAX_RECONNECT_ATTEMPTS: ["reconnect.maxAttempts", "integer"],
  NATS_RECONNECT_WAIT_MS: ["reconnect.waitMs", "integer"],
  NATS_CONNECT_TIMEOUT_MS: ["connectTimeoutMs", "integer"],
  NATS_REQUEST_TIMEOUT_MS: ["requestTimeoutMs", "integer"],
  NATS_DRAIN_TIMEOUT_MS: ["drainTimeoutMs", "integer"],
  NATS_EVENTS_LISTENERS: ["listeners", "list"],
  NATS_EVENTS_SETUP: ["setup", "text"],
  NATS_EVENTS_LOG_LEVEL: ["logLevel", "text"],
  NATS_EVENTS_MAX_DELIVER: ["retry.maxDeliver", "integer"],
  NATS_EVENTS_ACK_WAIT_MS: ["ackWaitMs", "integer"],
  NATS_EVENTS_PUBLISH_RETRY_MS: ["publishRetryMs", "integer"],
  NATS_EVENTS_METRICS: ["metrics", "boolean"],
  NATS_EVENTS_METRICS_INTERVAL_MS: ["metricsIntervalMs", "integer"],
  NATS_EVENTS_METRICS_SUBJECTS: ["metricsSubjects", "list"],
  NATS_EVENTS_HEALTH_PORT: ["healthPort", "integer"],
  NATS_EVENTS_HEALTH_HOST: ["healthHost", "text"],
  // stan: the first two are the names the node-nats-streaming tutorials' deployments already set.
  NATS_CLUSTER_ID: ["stan.clusterId", "text"],
  NATS_CLIENT_ID: ["stan.clientId", "text"],
  NATS_CLIENT_ID_PREFIX: ["stan.clientIdPrefix", "text"],
  NATS_STAN_URL: ["stan.url", "text"],
  NATS_STAN_MAX_IN_FLIGHT: ["stan.maxInFlight", "integer"],
  NATS_STAN_HEADERS: ["stan.headers", "text"],
};

type Validator = (value: unknown) => string | undefined;
const isString: Validator = (v) => (typeof v === "string" && v.length > 0 ? undefined : "must be a non-empty string");
const isInteger = (min: number): Validator => (v) =>
  Number.isInteger(v) && (v as number) >= min ? undefined : `must be an integer >= ${min}`;
const isStringList: Validator = (v) =>
  Array.isArray(v) && v.every((item) => typeof item === "string" && item.length > 0) ? undefined : "must be a list of non-empty strings";
/** NATS Streaming client ids (and our prefixes of them): what the streaming server accepts. */
const isStanClientId: Validator = (v) =>
  typeof v === "string" && /^[A-Za-z0-9_-]+$/.test(v) ? undefined : "must contain only letters, digits, \"-\" and \"_\"";
const isDurableNames: Validator = (v) => {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return 'must be an object like { "queue-group": "durable-name" }';
  for (const [group, name] of Object.entries(v)) {
    if (typeof name !== "string" || name.length === 0 || /[\s:]/.test(name)) return `entry "${group}" must be a non-empty name without whitespace or ":"`;
  }
  return undefined;
};
const isBoolean: Validator = (v) => (typeof v === "boolean" ? undefined : "must be true or false");
const oneOf = (...allowed: string[]): Validator => (v) =>
  allowed.includes(v as string) ? undefined : `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`;

/** Every known option path and its check; anything else is a typo and reported as such. */
const VALIDATORS: Record<string, Validator> = {
  transport: isString,
  servers: (v) => isStringList(v) ?? ((v as string[]).length === 0 ? "must name at least one server" : undefined),
  name: isString,
  "reconnect.maxAttempts": isInteger(-1),
  "reconnect.waitMs": isInteger(0),
  "reconnect.jitterMs": isInteger(0),
  "reconnect.jitterTlsMs": isInteger(0),
  "auth.user": isString,
  "auth.pass": isString,
  "auth.token": isString,
  "auth.nkeySeed": isString,
  "auth.credsFile": isString,
  "tls.ca": isString,
  "tls.cert": isString,
  "tls.key": isString,
  connectTimeoutMs: isInteger(1),
  requestTimeoutMs: isInteger(1),
  drainTimeoutMs: isInteger(0),
  listeners: isStringList,
  setup: isString,
  deadLetterPrefix: isString,
  logLevel: oneOf("debug", "info", "warn", "error", "silent"),
  streams: streamsProblem,
  deadLetterStream: isString,
  "retry.maxDeliver": isInteger(1),
  "retry.initialDelayMs": isInteger(0),
  "retry.maxDelayMs": isInteger(0),
  ackWaitMs: isInteger(1_000),
  publishTimeoutMs: isInteger(1),
  publishRetryMs: isInteger(0),
  createStreamsOnConnect: isBoolean,
  metrics: isBoolean,
  metricsIntervalMs: isInteger(0),
  metricsSubjects: (v) => isStringList(v) ?? (v as string[]).map((s) => subjectProblem(s, true) && `subject ${JSON.stringify(s)} ${subjectProblem(s, true)}`).find(Boolean),
  healthPort: (v) => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65_535 ? undefined : "must be a port number (1-65535)"),
  healthHost: isString,
  "stan.clusterId": (v) => isString(v) ?? (/[\s*>]/.test(v as string) ? "must not contain whitespace, \"*\" or \">\"" : undefined),
  "stan.clientId": isStanClientId,
  "stan.clientIdPrefix": isStanClientId,
  "stan.url": isString,
  "stan.maxInFlight": isInteger(1),
  "stan.durableNames": isDurableNames,
  "stan.headers": oneOf("drop", "frame"),
};
const NESTED = new Set(["reconnect", "auth", "tls", "retry", "stan"]);
const SECRET = new Set(["auth.user", "auth.pass", "auth.token", "auth.nkeySeed"]);

/** `variables` (environment layer only): option path → the variable that set it, so errors name the variable. */
type Layer = { source: string; values: Record<string, unknown>; variables?: Record<string, string> };

/**
 * Resolves the options of one bus: defaults < config file < code < environment.
 * Every invalid value fails with EB_ERR_CONFIG naming the option and where it came from
 * (secrets are never echoed).
 */
export async function loadOptions(code: EventBusOptionsInput = {}, context: LoadOptionsContext = {}): Promise<LoadedOptions> {
  const file = await readConfigFile(context);
  const layers: Layer[] = [];
  if (file) layers.push({ source: `config file ${file.path}`, values: flatten(file.config, `config file ${file.path}`) });
  layers.push({ source: "bus.connect() options", values: flatten(code, "bus.connect() options") });
  layers.push({ source: "environment", ...readEnv(context.env ?? process.env) });

  const merged: Record<string, unknown> = flatten(defaultOptions, "defaults");
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values)) {
      if (value === undefined) continue;
      const problem = VALIDATORS[key]!(value);
      if (problem) {
        // Server URLs may carry user:password, so even non-secret values go through redaction.
        const shown = SECRET.has(key) ? "(value hidden)" : redactCredentials(showValue(value));
        const variable = layer.variables?.[key];
        const source = variable ? `environment variable ${variable}` : layer.source;
        throw new EventBusError(ErrorCodes.CONFIG, `invalid option "${key}" from ${source}: ${problem}, got ${shown}`);
      }
      merged[key] = value;
    }
  }
  return { options: unflatten(merged) as unknown as EventBusOptions, configFile: file?.path };
}

/** JSON where possible; BigInt or circular values must not turn a config error into a TypeError. */
function showValue(value: unknown): string {
  try {
    return String(JSON.stringify(value));
  } catch {
    return String(value);
  }
}

async function readConfigFile(context: LoadOptionsContext): Promise<{ path: string; config: unknown } | undefined> {
  // lilconfig does not say which file failed; the loaders note it before they read one.
  let reading: string | undefined;
  const noting = (loader: Loader): Loader => (filepath, content) => {
    reading = filepath;
    return loader(filepath, content);
  };
  const explorer = lilconfig("nats-events", {
    searchPlaces: CONFIG_NAMES,
    packageProp: "natsEvents",
    loaders: { ".js": noting(importLoader), ".mjs": noting(importLoader), ".cjs": noting(importLoader), ".json": noting(jsonLoader) },
  });
  const cwd = context.cwd ?? process.cwd();
  const explicit = context.configFile ? path.resolve(cwd, context.configFile) : undefined;
  try {
    const result = explicit ? await explorer.load(explicit) : await explorer.search(cwd);
    return result && !result.isEmpty ? { path: result.filepath, config: result.config } : undefined;
  } catch (err) {
    throw configFileError(reading ?? explicit ?? cwd, err);
  }
}

/** {auth: {user}} → {"auth.user"}; rejects unknown keys so typos do not pass silently. */
function flatten(input: unknown, source: string): Record<string, unknown> {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new EventBusError(ErrorCodes.CONFIG, `options from ${source} must be an object`);
  }
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (NESTED.has(key) && value !== undefined) {
      if (value === null || typeof value !== "object") {
        throw new EventBusError(ErrorCodes.CONFIG, `option "${key}" from ${source} must be an object`);
      }
      for (const [inner, innerValue] of Object.entries(value)) flat[`${key}.${inner}`] = innerValue;
    } else {
      flat[key] = value;
    }
  }
  for (const key of Object.keys(flat)) {
    if (!(key in VALIDATORS)) {
      const known = Object.keys(VALIDATORS);
      throw new EventBusError(ErrorCodes.CONFIG, `unknown option "${key}" in ${source}${didYouMean(key, known) || `; known options: ${known.join(", ")}`}`);
    }
  }
  return flat;
}

function unflatten(flat: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const [outer, inner] = key.split(".") as [string, string | undefined];
    if (inner === undefined) result[outer] = value;
    else result[outer] = { ...(result[outer] as object | undefined), [inner]: value };
  }
  for (const key of NESTED) result[key] ??= key === "tls" ? undefined : {};
  return result;
}

function readEnv(env: NodeJS.ProcessEnv): { values: Record<string, unknown>; variables: Record<string, string> } {
  const values: Record<string, unknown> = {};
  const variables: Record<string, string> = {};
  for (const [name, [key, kind]] of Object.entries(ENV_VARS)) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    variables[key] = name;
    if (kind === "list") {
      values[key] = raw.split(",").map((item) => item.trim()).filter(Boolean);
    } else if (kind === "boolean") {
      const lower = raw.toLowerCase();
      if (!["true", "false", "1", "0", "yes", "no", "on", "off"].includes(lower)) {
        throw new EventBusError(ErrorCodes.CONFIG, `invalid environment variable ${name} (option "${key}"): must be true or false, got ${JSON.stringify(raw)}`);
      }
      values[key] = ["true", "1", "yes", "on"].includes(lower);
    } else if (kind === "integer") {
      if (!/^-?\d+$/.test(raw)) {
        throw new EventBusError(ErrorCodes.CONFIG, `invalid environment variable ${name} (option "${key}"): must be a whole number, got ${JSON.stringify(raw)}`);
      }
      values[key] = Number(raw);
    } else {
      values[key] = raw;
    }
  }
  return { values, variables };
}

/** Variable name → option path, for docs and the CLI's --help. */
export const environmentVariables: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(ENV_VARS).map(([name, [option]]) => [name, option]),
);
