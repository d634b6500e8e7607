import { readFileSync } from "node:fs";
import os from "node:os";
import type { EventBusOptions } from "../../bus/options.js";
import { ErrorCodes, EventBusError, describeError } from "../../errors.js";
import { splitServerCredentials } from "../server-credentials.js";
import type { SubscriptionSpec } from "../transport.js";
import type { StanConnectOptions, StanSubscriptionOptions } from "./stan-client.js";

/** What the client id is derived from; the process's own values unless a test passes others. */
export interface ProcessIdentity {
  readonly env: NodeJS.ProcessEnv;
  readonly pid: number;
  readonly hostname: string;
}

const currentProcess = (): ProcessIdentity => ({ env: process.env, pid: process.pid, hostname: os.hostname() });

/** Letters, digits, "-" and "_" only: everything else becomes "_" (the server refuses other ids). */
function idSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, "_");
}

/**
 * The client id of the `sequence`-th STAN connection of this process (1 for the first).
 * Explicit `stan.clientId` wins; otherwise `<prefix>-<pm2 id>`, where pm2's `pm_id` (unique
 * among the processes of one pm2 daemon, kept across restarts) or `NODE_APP_INSTANCE` is
 * used when set, else the pid. A stable id lets a restarted process take over its old
 * id at once (the server checks the old holder is gone) instead of waiting out heartbeats.
 * The prefix defaults to `<name or "nats-events">-<hostname>` so hosts do not collide.
 */
export function stanClientId(options: EventBusOptions, sequence: number, identity: ProcessIdentity = currentProcess()): string {
  const suffix = sequence > 1 ? `-${sequence}` : "";
  if (options.stan.clientId) return `${options.stan.clientId}${suffix}`;
  const prefix = options.stan.clientIdPrefix ?? idSafe(`${options.name ?? "nats-events"}-${identity.hostname}`);
  const pm2Id = identity.env.pm_id ?? identity.env.NODE_APP_INSTANCE;
  const instance = pm2Id !== undefined && /^\d+$/.test(pm2Id) ? `pm2-${pm2Id}` : String(identity.pid);
  return `${prefix}-${instance}${suffix}`;
}

/**
 * Our connection options as node-nats-streaming's: the streaming server's URL (stan.url,
 * else `servers`), credentials (explicit auth wins over URL userinfo, like the other
 * transports), TLS files, reconnect policy and the timeouts.
 */
export function stanConnectOptions(options: EventBusOptions): StanConnectOptions {
  const { auth, tls, reconnect } = options;
  if (auth.nkeySeed) {
    throw new EventBusError(
      ErrorCodes.CONFIG,
      `option "auth.nkeySeed" is not supported by the stan transport (its nats 1.x client signs nonces differently); use "auth.credsFile", user/password or a token`,
    );
  }
  const fromUrls = splitServerCredentials(options.stan.url ? [options.stan.url] : options.servers);
  const explicitAuth = Boolean(auth.user || auth.token || auth.credsFile);
  const { user, pass, token } = explicitAuth ? auth : fromUrls;
  const stanOptions: StanConnectOptions = {
    url: fromUrls.servers[0],
    servers: fromUrls.servers,
    name: options.name,
    maxReconnectAttempts: reconnect.maxAttempts,
    reconnectTimeWait: reconnect.waitMs,
    connectTimeout: options.connectTimeoutMs,
    ackTimeout: options.publishTimeoutMs,
    stanEncoding: "binary",
  };
  if (user !== undefined) stanOptions.user = user;
  if (pass !== undefined) stanOptions.pass = pass;
  if (token !== undefined) stanOptions.token = token;
  if (auth.credsFile) stanOptions.userCreds = auth.credsFile;
  if (tls) {
    stanOptions.tls = {
      ...(tls.ca && { ca: readOptionFile(tls.ca, "tls.ca") }),
      ...(tls.cert && { cert: readOptionFile(tls.cert, "tls.cert") }),
      ...(tls.key && { key: readOptionFile(tls.key, "tls.key") }),
    };
  }
  return stanOptions;
}

function readOptionFile(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new EventBusError(ErrorCodes.CONFIG, `cannot read the file of option "${option}" (${file}): ${describeError(err)}`, { cause: err });
  }
}

/** One durable listener as a STAN subscription. */
export interface StanSubscriptionSettings {
  /** The channel: the listener's subject (STAN has no wildcards). */
  readonly channel: string;
  /** The group, or the listener id when it has none (one durable per listener, like JetStream's consumers). */
  readonly queueGroup: string;
  readonly durableName: string;
  readonly maxInFlight: number;
  /** Whole seconds: the server counts ackWait in seconds. */
  readonly ackWaitMs: number;
}

export function stanSubscriptionSettings(spec: SubscriptionSpec, options: EventBusOptions): StanSubscriptionSettings {
  const problem = channelProblem(spec.subject);
  if (problem) {
    throw new EventBusError(
      ErrorCodes.SUBSCRIBE,
      `${spec.listenerId}: "${spec.subject}" cannot be a NATS Streaming channel: ${problem}. ` +
        `Listen on each concrete subject, or use @Listen(..., { durable: false }) for a plain core-NATS subscription`,
    );
  }
  const queueGroup = spec.queueGroup ?? spec.listenerId;
  const ackWaitMs = Math.max(1, Math.ceil((spec.ackWaitMs ?? options.ackWaitMs) / 1_000)) * 1_000;
  return {
    channel: spec.subject,
    queueGroup,
    durableName: options.stan.durableNames[queueGroup] ?? queueGroup,
    maxInFlight: options.stan.maxInFlight ?? spec.concurrency,
    ackWaitMs,
  };
}

/** The subscription options node-nats-streaming sends: manual acks, durable, everything stored for a new durable. */
export function applySubscriptionSettings(settings: StanSubscriptionSettings, target: StanSubscriptionOptions): StanSubscriptionOptions {
  return target
    .setManualAckMode(true)
    .setAckWait(settings.ackWaitMs)
    .setMaxInFlight(settings.maxInFlight)
    .setDeliverAllAvailable()
    .setDurableName(settings.durableName);
}

function channelProblem(subject: string): string | undefined {
  if (subject.split(".").some((token) => token === "*" || token === ">")) return "channels have no wildcards";
  if (subject.includes("/")) return 'channels cannot contain "/"';
  return undefined;
}
