/**
 * Every error this library throws is an EventBusError with a stable `code`.
 * Codes never change meaning; docs/errors.md lists each one with its fix
 * (a unit test keeps that page and this table in sync).
 */
export const ErrorCodes = {
  /** A value could not be encoded by the codec (circular reference, BigInt, ...). Nothing was sent. */
  ENCODE: "EB_ERR_ENCODE",
  /** Received bytes could not be decoded by the codec. The handler was not called. */
  DECODE: "EB_ERR_DECODE",
  /** A request got no reply within its timeout. */
  REQUEST_TIMEOUT: "EB_ERR_REQUEST_TIMEOUT",
  /** A request was sent to a subject nobody listens on. */
  NO_RESPONDERS: "EB_ERR_NO_RESPONDERS",
  /** The responder's handler threw; the error carries its message and code. */
  REMOTE: "EB_ERR_REMOTE",
  /** A subject or queue group name is not valid NATS syntax. */
  INVALID_SUBJECT: "EB_ERR_INVALID_SUBJECT",
  /** @Listen was used wrongly (not on a method, bad options). */
  INVALID_LISTENER: "EB_ERR_INVALID_LISTENER",
  /** One method declares the same subject and queue group twice. */
  DUPLICATE_LISTENER: "EB_ERR_DUPLICATE_LISTENER",
  /** A configuration value (code, config file or environment) is invalid. */
  CONFIG: "EB_ERR_CONFIG",
  /** The configured transport name is not one this library knows. */
  UNKNOWN_TRANSPORT: "EB_ERR_UNKNOWN_TRANSPORT",
  /** The NATS server could not be reached or refused the connection. */
  CONNECT: "EB_ERR_CONNECT",
  /** publish/request/listen was called while the bus is not connected. */
  NOT_CONNECTED: "EB_ERR_NOT_CONNECTED",
  /** The transport refused a message (too large, permission denied, ...). */
  PUBLISH: "EB_ERR_PUBLISH",
  /** A subscription could not be created. */
  SUBSCRIBE: "EB_ERR_SUBSCRIBE",
  /** tsyringe could not build a listener class (a constructor dependency is missing). */
  LISTENER_RESOLVE: "EB_ERR_LISTENER_RESOLVE",
  /** A listener module could not be loaded, or a pattern matched no file. */
  MODULE_LOAD: "EB_ERR_MODULE_LOAD",
  /** Handlers in flight did not finish within the drain timeout. */
  DRAIN_TIMEOUT: "EB_ERR_DRAIN_TIMEOUT",
  /** Thrown by a handler (NonRetryableError): dead-letter the message now, do not retry. */
  NON_RETRYABLE: "EB_ERR_NON_RETRYABLE",
  /** No configured JetStream stream captures a subject that is published or listened to. */
  NO_STREAM: "EB_ERR_NO_STREAM",
  /** The JetStream server did not confirm a publish (PubAck) in time, or refused it. */
  PUBLISH_ACK: "EB_ERR_PUBLISH_ACK",
  /** Creating or updating a stream or consumer failed. */
  PROVISION: "EB_ERR_PROVISION",
  /** The health and metrics endpoint of register-listeners could not listen on its port. */
  HEALTH_SERVER: "EB_ERR_HEALTH_SERVER",
  /** The setup module of register-listeners (the `setup` option) could not be found, loaded or run. */
  SETUP: "EB_ERR_SETUP",
  /** The teardown returned by the setup module threw (it runs after the drain). */
  TEARDOWN: "EB_ERR_TEARDOWN",
  /** gracefulShutdown(): HTTP requests were still running after its timeoutMs; their connections were closed. */
  SHUTDOWN_TIMEOUT: "EB_ERR_SHUTDOWN_TIMEOUT",
  /** The configured transport or codec needs an optional peer dependency that is not installed (stan: node-nats-streaming; msgpack: @msgpack/msgpack). */
  OPTIONAL_DEPENDENCY: "EB_ERR_OPTIONAL_DEPENDENCY",
  /** A payload does not match its event contract's schema (on publish: nothing sent; on consume: the handler was not called). */
  VALIDATION: "EB_ERR_VALIDATION",
  /** A message (payload plus headers) is larger than the server's max_payload. Nothing was sent. */
  PAYLOAD_TOO_LARGE: "EB_ERR_PAYLOAD_TOO_LARGE",
  /** A message's Content-Type header names a format the listener (or requester) has no codec for. */
  UNSUPPORTED_CONTENT_TYPE: "EB_ERR_UNSUPPORTED_CONTENT_TYPE",
  /** `nats-events init` cannot scaffold here (no package.json, an unreadable tsconfig.json). */
  INIT: "EB_ERR_INIT",
  /** defineEvent() was given something that is not a valid contract (schema, codec, dates option). */
  INVALID_CONTRACT: "EB_ERR_INVALID_CONTRACT",
  /** Two different contracts were defined for one subject. */
  DUPLICATE_CONTRACT: "EB_ERR_DUPLICATE_CONTRACT",
  /** The connected nats-server is older than a feature needs (the error names the feature, the version it needs and the one found). */
  SERVER_VERSION: "EB_ERR_SERVER_VERSION",
  /** A CLI command named a listener (Class.method) or queue group that none of the loaded listeners has. */
  UNKNOWN_LISTENER: "EB_ERR_UNKNOWN_LISTENER",
  /** The testing kit could not start a nats-server (binary missing or not executable, or it did not start). */
  TEST_SERVER: "EB_ERR_TEST_SERVER",
  /** The testing kit's `settled()` timed out: a handler is still running (or a bus is not closed between tests). */
  NOT_SETTLED: "EB_ERR_NOT_SETTLED",
  /** JetStream: the stream did not accept a publish within publishRetryMs (no leader: an election, or too few of its nodes up); the error says whether it may be stored. */
  STREAM_UNAVAILABLE: "EB_ERR_STREAM_UNAVAILABLE",
  /** A request was sent to a subject a JetStream stream captures: the stream would store it and answer with its PubAck, not a responder. */
  REQUEST_TO_STREAM: "EB_ERR_REQUEST_TO_STREAM",
  /** A publish option has a bad value (a negative delayMs, both delayMs and at, an invalid Date, a ttlMs not in whole seconds), or the transport cannot honour it (a delay or TTL on a transport that stores nothing). Nothing was sent. */
  PUBLISH_OPTION: "EB_ERR_PUBLISH_OPTION",
  /** A delayed publish or a per-message TTL went to a subject whose stream does not allow it (its allowSchedules / allowMessageTtl stream option, or the stream on the server not provisioned with it yet). */
  STREAM_FEATURE: "EB_ERR_STREAM_FEATURE",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class EventBusError extends Error {
  override name = "EventBusError";
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A request's responder threw. `remoteCode` is the responder error's `code` (or "UNKNOWN"). */
export class RemoteError extends EventBusError {
  override name = "RemoteError";
  readonly subject: string;
  readonly remoteCode: string;
  readonly remoteMessage: string;

  constructor(subject: string, remoteMessage: string, remoteCode: string) {
    super(ErrorCodes.REMOTE, `request to "${subject}" failed in the responder: ${remoteMessage} (${remoteCode})`);
    this.subject = subject;
    this.remoteCode = remoteCode;
    this.remoteMessage = remoteMessage;
  }
}

/**
 * Throw it from a handler to say "retrying cannot help" (invalid business input,
 * say): the message goes to the dead letters at once instead of being redelivered.
 */
export class NonRetryableError extends EventBusError {
  override name = "NonRetryableError";

  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.NON_RETRYABLE, message, options);
  }
}

/** One failed check of a schema: where (a path like `items[0].sku`, or "(root)") and what. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * A payload failed its contract's schema. `direction` says where: "publish" and
 * "request" (nothing was sent), "consume" (the handler was not called; the message was
 * dead-lettered), "reply" (a request's answer, checked by the responder before sending or
 * by the requester on receipt). `issues` lists every failing path.
 */
export class ValidationError extends EventBusError {
  override name = "ValidationError";
  readonly subject: string;
  readonly direction: "publish" | "request" | "consume" | "reply";
  readonly issues: readonly ValidationIssue[];

  constructor(subject: string, direction: ValidationError["direction"], issues: readonly ValidationIssue[], where: string) {
    const listed = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
    super(ErrorCodes.VALIDATION, `invalid payload for "${subject}" (${where}): ${listed || "the schema rejected it without saying why"}`);
    this.subject = subject;
    this.direction = direction;
    this.issues = issues;
  }
}

/**
 * The connected nats-server is too old for `feature`: it needs `required` or later and
 * `found` is what the server reported at connect (undefined when it reported none).
 */
export class ServerVersionError extends EventBusError {
  override name = "ServerVersionError";
  readonly feature: string;
  readonly required: string;
  readonly found: string | undefined;

  constructor(feature: string, required: string, found: string | undefined) {
    super(
      ErrorCodes.SERVER_VERSION,
      `${feature} needs nats-server ${required} or later; the connected server is ${found ? `nats-server ${found}` : "of unknown version"}. Upgrade the server (every node of a cluster) to use it.`,
    );
    this.feature = feature;
    this.required = required;
    this.found = found;
  }
}

/**
 * A JetStream publish gave up: its stream had no leader (or did not answer) for all of
 * `publishRetryMs`. `mayBeStored` is true when an attempt got no PubAck, so the message
 * may be stored: publish it again with `msgId` (the one it was sent with, generated when
 * none was given) and the stream stores it once.
 */
export class StreamUnavailableError extends EventBusError {
  override name = "StreamUnavailableError";
  readonly subject: string;
  readonly msgId: string;
  readonly mayBeStored: boolean;
  readonly attempts: number;

  constructor(message: string, details: { subject: string; msgId: string; mayBeStored: boolean; attempts: number; cause?: unknown }) {
    super(ErrorCodes.STREAM_UNAVAILABLE, message, { cause: details.cause });
    this.subject = details.subject;
    this.msgId = details.msgId;
    this.mayBeStored = details.mayBeStored;
    this.attempts = details.attempts;
  }
}

/**
 * A publish option (`option`: "delayMs", "at", "ttlMs") has a bad value or cannot be honoured
 * by the transport in use. Nothing was sent to `subject`.
 */
export class PublishOptionError extends EventBusError {
  override name = "PublishOptionError";
  readonly subject: string;
  readonly option: string;

  constructor(subject: string, option: string, problem: string) {
    super(ErrorCodes.PUBLISH_OPTION, `publish to "${subject}": option "${option}" ${problem}`);
    this.subject = subject;
    this.option = option;
  }
}

/**
 * `subject` was published with a delay or a TTL, and `stream` (the stream that captures it)
 * does not allow that: set `streamOption` (allowSchedules / allowMessageTtl) on it in the
 * `streams` option and provision, or (`onServer`) the configuration has it and the stream on
 * the server was not provisioned with it yet.
 */
export class StreamFeatureError extends EventBusError {
  override name = "StreamFeatureError";
  readonly subject: string;
  readonly stream: string;
  readonly streamOption: string;

  constructor(details: { subject: string; stream: string; streamOption: string; publishOption: string; onServer: boolean; cause?: unknown }) {
    const { subject, stream, streamOption, publishOption } = details;
    super(
      ErrorCodes.STREAM_FEATURE,
      details.onServer
        ? `publish to "${subject}" with ${publishOption}: stream "${stream}" on the server does not have ${streamOption} yet (the configuration asks for it); ` +
            `run nats-events provision (or start the listeners once) so provisioning adds it`
        : `publish to "${subject}" with ${publishOption}: stream "${stream}" does not allow it; set ${streamOption}: true on stream "${stream}" in the "streams" option, ` +
            `then provision (nats-events provision, or the listeners' start)`,
      { cause: details.cause },
    );
    this.subject = subject;
    this.stream = stream;
    this.streamOption = streamOption;
  }
}

export function isEventBusError(err: unknown, code?: ErrorCode): err is EventBusError {
  return err instanceof EventBusError && (code === undefined || err.code === code);
}

/** The message of any thrown value, for logs and error headers. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
