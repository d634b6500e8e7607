/**
 * Everything the bus can be configured with. Values come from four layers,
 * later ones winning: defaults < config file < code (bus.connect(options)) < environment.
 * See load-options.ts for where each layer is read, and the README's configuration reference.
 */
/** "stan" is the legacy NATS Streaming transport; "stan+jetstream" listens on STAN and publishes to both (the migration's dual-publish period). */
export type TransportName = "memory" | "nats" | "jetstream" | "stan" | "stan+jetstream";
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export interface ReconnectOptions {
  /** -1 (default) reconnects forever. */
  maxAttempts: number;
  /** Wait between attempts to the same server. */
  waitMs: number;
  /** Random extra wait added to each attempt so a fleet does not reconnect in lockstep. */
  jitterMs: number;
  jitterTlsMs: number;
}

export interface AuthOptions {
  user?: string;
  pass?: string;
  token?: string;
  /** An nkey seed ("SU..."). */
  nkeySeed?: string;
  /** Path to a .creds file (JWT + seed). */
  credsFile?: string;
}

/** Paths to PEM files. Setting any of them turns TLS on. */
export interface TlsFileOptions {
  ca?: string;
  cert?: string;
  key?: string;
}

/** One JetStream stream, created or updated by provisioning (like a Django migration for the bus). */
export interface StreamOptions {
  name: string;
  /** Subjects the stream captures; wildcards allowed. */
  subjects: string[];
  /** Default "file" (survives a server restart). */
  storage?: "file" | "memory";
  /** Default "limits": messages stay until a limit removes them, whoever consumed them. */
  retention?: "limits" | "interest" | "workqueue";
  maxAgeMs?: number;
  maxBytes?: number;
  maxMsgs?: number;
  /** Default 1; use 3 on a cluster. */
  replicas?: number;
  /** Messages with the same msgId within this window are stored once. Default 2 minutes. */
  duplicateWindowMs?: number;
  /**
   * Provisioning never weakens an existing stream on its own: fewer replicas, a shorter
   * max age, smaller limits, a shorter duplicate window or fewer subjects are kept as they
   * are (and reported) unless this is true. Fields left out are never changed.
   */
  allowWeakening?: boolean;
  /**
   * Allow delayed publishes (`publish(subject, data, { delayMs })` or `{ at }`) to the stream's
   * subjects: provisioning sets the stream's `allow_msg_schedules` and adds the subject its
   * schedules wait on (`_EB_SCHEDULE.<name>.>`). Needs nats-server 2.12. The server cannot turn
   * it off again: `false` on a stream that has it is reported and kept.
   */
  allowSchedules?: boolean;
  /**
   * Allow a per-message TTL (`publish(subject, data, { ttlMs })`): provisioning sets the
   * stream's `allow_msg_ttl`. Needs nats-server 2.11. The server cannot turn it off again.
   */
  allowMessageTtl?: boolean;
}

/**
 * The legacy NATS Streaming transport (node-nats-streaming, an optional peer dependency).
 * How long the server waits for an ack is the bus's `ackWaitMs` (or @Listen's), in whole seconds.
 */
export interface StanOptions {
  /** The streaming server's cluster id (its `-cid`). Default "test-cluster", the server's own default. */
  clusterId: string;
  /**
   * This connection's client id, unique among the server's clients (letters, digits, `-`, `_`).
   * Default: `<clientIdPrefix>-<pm2 process id, else pid>`, plus `-<n>` for the n-th bus of one process.
   */
  clientId?: string;
  /** Start of the derived client id. Default: `<name or "nats-events">-<hostname>`. */
  clientIdPrefix?: string;
  /** NATS URL of the streaming server. Default: the `servers` option (which request-reply always uses). */
  url?: string;
  /** Unacknowledged messages the server sends one subscription at most. Default: the listener's concurrency. */
  maxInFlight?: number;
  /**
   * Durable name per queue group (or per listener id "Class.method" when it has no group).
   * Default: the group name itself, as the tutorial pattern's `setDurableName(queueGroupName)` does.
   */
  durableNames: Record<string, string>;
  /**
   * STAN messages have no headers. "drop" (default): publish the payload alone, so services
   * still reading channels with node-nats-streaming directly (JSON.parse(msg.getData())) can
   * read it. "frame": put the headers in front of the payload (NATS/1.0 block), which those
   * services cannot parse. Dead letters (`<deadLetterPrefix>.>`) always keep their headers.
   */
  headers: "drop" | "frame";
}

/** How a failed handler is retried on transports that redeliver (JetStream). */
export interface RetryPolicy {
  /** Deliveries in all (the first one included) before the message is dead-lettered. */
  maxDeliver: number;
  /** Delay before the second delivery; doubles each time (with jitter) up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export interface EventBusOptions {
  transport: TransportName;
  servers: string[];
  /** Connection name shown by the server (`nats server report connections`). */
  name?: string;
  reconnect: ReconnectOptions;
  auth: AuthOptions;
  tls?: TlsFileOptions;
  connectTimeoutMs: number;
  /** Default timeout for EventPublisher.request. */
  requestTimeoutMs: number;
  /** How long drain waits for handlers in flight; keep it below pm2's kill_timeout. */
  drainTimeoutMs: number;
  /** Modules or globs register-listeners loads (relative to the config file, or cwd). */
  listeners: string[];
  /**
   * register-listeners: a module run before the listener classes are built (DI registrations,
   * opening a pool), whose returned function runs after the drain. Relative to the config
   * file, or cwd. See ListenerSetup.
   */
  setup?: string;
  /** Handler failures without a reply are copied to `<prefix>.<subject>`. */
  deadLetterPrefix: string;
  logLevel: LogLevel;
  /** JetStream: streams provisioning creates or updates. */
  streams: StreamOptions[];
  /** JetStream: the stream that keeps dead letters (captures `<deadLetterPrefix>.>`, limits retention). */
  deadLetterStream: string;
  /** JetStream: replicas of the dead-letter stream. Default: the largest `replicas` among `streams` (1 without any). */
  deadLetterReplicas?: number;
  /** JetStream: how long dead letters are kept (0: until removed). Default 0. */
  deadLetterMaxAgeMs?: number;
  /** JetStream: most bytes the dead-letter stream keeps (the oldest go first). Default: no limit. */
  deadLetterMaxBytes?: number;
  /** JetStream: a listener whose consumer holds pending messages yet delivered none for this long is reported stalled (health, /readyz) and pulled afresh. */
  consumerStallMs: number;
  /** JetStream: defaults for every listener; @Listen options override them. */
  retry: RetryPolicy;
  /** JetStream: how long the server waits for an ack before redelivering; long handlers send "working" at half of it. */
  ackWaitMs: number;
  /** JetStream: how long publish waits for the server's PubAck (each attempt, when retrying). */
  publishTimeoutMs: number;
  /**
   * JetStream: the longest a publish keeps retrying (same Nats-Msg-Id) while its stream is
   * briefly unavailable (a leader election: no responders, 503, no PubAck), before it rejects
   * with EB_ERR_STREAM_UNAVAILABLE. A publish without msgId gets a generated one. 0: no retry.
   */
  publishRetryMs: number;
  /**
   * JetStream: create configured streams that do not exist yet when connecting, so a web
   * process can publish before the first `provision` (existing streams are never changed here).
   */
  createStreamsOnConnect: boolean;
  /** stan / stan+jetstream: the NATS Streaming connection. */
  stan: StanOptions;
  /** Count what the bus does into Prometheus metrics (prom-client). Off: no per-message cost at all. */
  metrics: boolean;
  /** JetStream: how often the listener process samples its consumers' pending counts into the gauges; 0 turns sampling off. */
  metricsIntervalMs: number;
  /**
   * Subject patterns used as the `subject` label of published messages (a concrete subject
   * may hold ids, so it is never a label). Unlisted subjects fall back to the @Listen and
   * stream patterns, then to their first token + ".>".
   */
  metricsSubjects: string[];
  /** register-listeners: serve /livez, /readyz and /metrics on this port. Unset: no endpoint. */
  healthPort?: number;
  /** Interface of that endpoint; "0.0.0.0" so Kubernetes probes and Prometheus reach it, "127.0.0.1" to keep it local. */
  healthHost: string;
}

/** What callers pass: any subset, nested objects partial too. */
export type EventBusOptionsInput = Partial<Omit<EventBusOptions, "reconnect" | "auth" | "tls" | "retry" | "stan">> & {
  reconnect?: Partial<ReconnectOptions>;
  stan?: Partial<StanOptions>;
  retry?: Partial<RetryPolicy>;
  auth?: AuthOptions;
  tls?: TlsFileOptions;
};

export const defaultOptions: EventBusOptions = {
  transport: "nats",
  servers: ["nats://127.0.0.1:4222"],
  reconnect: { maxAttempts: -1, waitMs: 2_000, jitterMs: 100, jitterTlsMs: 1_000 },
  auth: {},
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 5_000,
  drainTimeoutMs: 10_000,
  listeners: [],
  deadLetterPrefix: "dead-letter",
  logLevel: "info",
  streams: [],
  deadLetterStream: "DEAD_LETTERS",
  consumerStallMs: 30_000,
  retry: { maxDeliver: 5, initialDelayMs: 1_000, maxDelayMs: 60_000 },
  ackWaitMs: 30_000,
  publishTimeoutMs: 5_000,
  publishRetryMs: 10_000,
  createStreamsOnConnect: true,
  stan: { clusterId: "test-cluster", durableNames: {}, headers: "drop" },
  metrics: true,
  metricsIntervalMs: 15_000,
  metricsSubjects: [],
  healthHost: "0.0.0.0",
};

/** Hides the userinfo of every URL in `text` so credentials never reach a log line or an error. */
export function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/gi, "$1***@");
}

const HIDDEN = "***";

/**
 * The options as `bus.options` shows them: every secret replaced by "***" (passwords, tokens,
 * nkey seeds, the user name, the userinfo of every server URL), so printing or serving them
 * cannot leak one. A set secret still shows that it is set. The transport keeps the real values.
 */
export function withoutCredentials(options: EventBusOptions): EventBusOptions {
  const hide = (value: string | undefined) => (value === undefined ? undefined : HIDDEN);
  const { user, pass, token, nkeySeed, credsFile } = options.auth;
  const auth: AuthOptions = Object.fromEntries(
    Object.entries({ user: hide(user), pass: hide(pass), token: hide(token), nkeySeed: hide(nkeySeed), credsFile }).filter(([, value]) => value !== undefined),
  );
  return {
    ...options,
    servers: options.servers.map(redactCredentials),
    auth,
    stan: options.stan.url === undefined ? options.stan : { ...options.stan, url: redactCredentials(options.stan.url) },
  };
}
