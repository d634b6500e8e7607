/**
 * The Transport seam. A transport moves bytes and headers; it never sees JSON
 * (the Codec does that) and never calls a handler (the ListenerRunner does).
 *
 * To add a transport: implement this interface, declare honest `features`,
 * register a factory in create-transport.ts, and run the conformance suite
 * (test/conformance) against it with those features.
 */
export type BusStatus = "connecting" | "connected" | "reconnecting" | "closed";

export type MessageHeaders = Readonly<Record<string, string>>;

/** What a transport guarantees; the conformance suite reads these to pick its checks. */
export interface TransportFeatures {
  /** Messages published while no one listens are kept and delivered later. */
  readonly durable: boolean;
  /** A message that was not acknowledged is delivered again. */
  readonly redelivery: boolean;
  readonly queueGroups: boolean;
  readonly requestReply: boolean;
  /** Holds a message until a later time (`SendOptions.delayMs` / `at`). Absent: false. */
  readonly delayedDelivery?: boolean;
  /** Removes a message from its stream after `SendOptions.ttlMs`. Absent: false. */
  readonly messageTtl?: boolean;
  /** Exclusive listeners: one member of a queue group receives at a time, in order, and another takes over when it is gone. */
  readonly exclusive?: boolean;
}

export interface InboundMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: MessageHeaders;
  /**
   * Optional: one header's value, matched case-insensitively, without converting all of
   * them into `headers` (which transports do lazily). Without it, `headers` is read.
   */
  header?(name: string): string | undefined;
}

/**
 * Acknowledgement of one delivery, on transports that redeliver (features.redelivery).
 * Core transports leave it out: there is nothing to acknowledge.
 */
export interface Settlement {
  /** Handled; returns a promise when it waits for the server's confirmation (the message will not come back). */
  ack(): void | Promise<void>;
  /** Not handled; deliver it again after `delayMs`. */
  nak(delayMs: number): void;
  /** Never deliver it again (it was dead-lettered). */
  term(reason: string): void;
}

/** One message handed to the runner. */
export interface Delivery extends InboundMessage {
  /** Set when the sender waits for an answer (request-reply). */
  readonly reply: string | undefined;
  /** 1 for the first delivery; higher when the transport redelivers. */
  readonly deliveryCount: number;
  /** Sends an answer to `reply`. Throws when the message has no reply subject. */
  respond(data: Uint8Array, headers?: MessageHeaders): void;
  readonly settlement?: Settlement;
  /** Where a durable transport stored the message. */
  readonly source?: { readonly stream: string; readonly seq: number };
}

export interface SubscriptionSpec {
  /** May contain `*` and `>` wildcards. */
  readonly subject: string;
  /** Members of one group share the messages; without a group every subscriber gets each one. */
  readonly queueGroup: string | undefined;
  /** Stable identity of the listener ("Class.method"), used by durable transports for names. */
  readonly listenerId: string;
  /** Most deliveries handed over and not yet settled at once; durable transports pull no more. */
  readonly concurrency: number;
  /** false: a plain core-NATS subscription even on a durable transport (request-reply responders). */
  readonly durable: boolean;
  /** Durable transports: how long the server waits for an ack (default: the bus's ackWaitMs). */
  readonly ackWaitMs?: number;
  /** Set for an exclusive listener (features.exclusive): how long a silent active member keeps its place. */
  readonly exclusive?: { readonly timeoutMs: number };
}

/** What a durable transport must create or change before these listeners can run. */
export interface ProvisionChange {
  readonly kind: "stream" | "consumer";
  /** "unavailable": the server could not be asked now (no leader, timeout); `detail` says why, and listeners wait for it. */
  readonly action: "create" | "update" | "unchanged" | "unavailable";
  readonly name: string;
  readonly detail: string;
  /** Changes made that weaken an existing stream (fewer replicas, shorter retention...), allowed by its `allowWeakening`. */
  readonly weakens?: readonly string[];
  /** Weakening changes the configuration asks for and provisioning did not make (no `allowWeakening`). */
  readonly refused?: readonly string[];
}

/** Reports each step of a provisioning run (for progress output). */
export type ProvisionProgress = (done: number, total: number, change: ProvisionChange) => void;

/** One copy of a replicated stream or consumer, as its leader reports it. */
export interface ReplicaState {
  /** The server_name of the node holding it. */
  readonly server: string;
  readonly role: "leader" | "follower";
  /** Holds everything the leader has committed (the leader itself: true). */
  readonly current: boolean;
  /** The group considers the node unreachable. */
  readonly offline: boolean;
  /** Operations behind the leader (0 when current, and for the leader). */
  readonly lag: number;
  /** Milliseconds since the leader last heard from it (null for the leader). */
  readonly lastSeenMs: number | null;
}

/** Where the copies of a stream or consumer are (JetStream clustering; one copy on a single server). */
export interface ReplicationState {
  /** The server_name of the leader; null while there is none (an election is running). */
  readonly leader: string | null;
  /** Copies configured (num_replicas). */
  readonly replicas: number;
  /** The leader first, then each follower. */
  readonly peers: readonly ReplicaState[];
}

/** A durable consumer as the server reports it now. */
export interface ConsumerState {
  readonly stream: string;
  readonly name: string;
  readonly filter: string | undefined;
  /** Messages in the stream not yet delivered to this consumer. */
  readonly pending: number;
  /** Delivered and not yet acknowledged. */
  readonly ackPending: number;
  /** Delivered more than once and not yet acknowledged. */
  readonly redelivered: number;
  /** Its leader and copies. */
  readonly replication: ReplicationState;
  /** Paused (`nats-events pause`): the ISO time it resumes by itself, or "until resumed". Absent when not paused. */
  readonly pausedUntil?: string;
  /** The consumer of exclusive listeners: the pin the server gave the active process (none: the next pull takes it) and since when. */
  readonly exclusive?: { readonly pinId?: string; readonly since?: string };
}

/** A stream as the server reports it now (`exists: false` when it was configured but not created). */
export interface StreamState {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly exists: boolean;
  readonly messages: number;
  readonly bytes: number;
  readonly consumers: readonly ConsumerState[];
  /** Its leader and copies (null when it does not exist). */
  readonly replication: ReplicationState | null;
}

/** Which server the transport is connected to. */
export interface ConnectionInfo {
  /** host:port of the server in use (no credentials). */
  readonly server: string | undefined;
  readonly serverName: string | undefined;
  readonly version: string | undefined;
  readonly rttMs: number | undefined;
}

export interface SendOptions {
  readonly headers?: MessageHeaders;
  /** Deduplication id (Nats-Msg-Id) on transports that deduplicate. */
  readonly msgId?: string;
  /**
   * Transports with `features.delayedDelivery`: store the message now, deliver it to listeners
   * once this many milliseconds have passed on the transport's clock (the bus checked the value).
   */
  readonly delayMs?: number;
  /** Like `delayMs`, until this time (never both). */
  readonly at?: Date;
  /** Transports with `features.messageTtl`: the stream removes the message this long after storing it (whole seconds). */
  readonly ttlMs?: number;
}

/** What holds one copy only reports (a server that is not clustered, or the in-process store): it leads, nobody follows. */
export function singleCopy(holder: string): ReplicationState {
  return { leader: holder, replicas: 1, peers: [{ server: holder, role: "leader", current: true, offline: false, lag: 0, lastSeenMs: null }] };
}

/** The receipt of transports that store nothing. */
export const NOT_STORED: PublishReceipt = Object.freeze({ duplicate: false });

/**
 * What a transport's publish() returns when it accepted the message before returning (core NATS):
 * this very promise, so the bus can report the publish at once instead of waiting a microtask for it.
 */
export const ACCEPTED: Promise<PublishReceipt> = Promise.resolve(NOT_STORED);

/** What the transport said about an accepted message. */
export interface PublishReceipt {
  /** The server had already stored a message with the same msgId within its window. */
  readonly duplicate: boolean;
  /** Stream and sequence where the message was stored (durable transports). */
  readonly stream?: string;
  readonly seq?: number;
}

export interface Subscription {
  /** Stops taking new messages; resolves once messages already received were handed over. */
  drain(): Promise<void>;
  /**
   * Settles when the subscription has ended: with undefined after drain/close, with
   * an Error when the server ended it (e.g. a permission violation).
   */
  readonly closed: Promise<Error | undefined>;
  /** Durable transports: is the consumer delivering? (health checks read it) */
  liveness?(): SubscriptionLiveness;
  /** Durable transports: told when the subscription stalls and when it recovered by itself. */
  onConsumerEvent?(listener: (event: ConsumerEvent) => void): void;
  /** Exclusive listeners: told when this process becomes the group's active one, and when it stands by again. */
  onExclusiveRole?(listener: (role: ExclusiveRole) => void): void;
}

/** "active": the server serves this process's pulls (`pinId` is the pin `nats-events status` shows); "standby": another process is active. */
export interface ExclusiveRole {
  readonly role: "active" | "standby";
  readonly pinId?: string;
}

export interface SubscriptionLiveness {
  /** The consumer holds messages for this listener, yet none arrived for longer than the stall threshold. */
  readonly stalled: boolean;
  /** Why there is no consumer to read from right now (its stream unavailable: no leader, timeout), if so. */
  readonly waiting: string | undefined;
  /** Milliseconds since a message last arrived (or since the start). */
  readonly idleMs: number;
}

/**
 * "stalled": a pull stopped delivering (the consumer's leader changed, heartbeats missed, the
 * consumer deleted, no leader, or pending messages and nothing delivered for the stall threshold);
 * "recovered": a new pull is running again, `downMs` after the stall began.
 */
export type ConsumerEvent = {
  readonly type: "stalled" | "recovered";
  readonly stream: string;
  readonly consumer: string;
  readonly reason: "leader-change" | "heartbeats-missed" | "consumer-deleted" | "no-leader" | "timeout" | "no-progress" | "pull-failed";
  readonly detail: string;
  readonly downMs?: number;
};

export interface RequestOptions {
  readonly timeoutMs: number;
  readonly headers?: MessageHeaders;
}

/** Hands one delivery to the runner: nothing back when it was handled synchronously, else a promise that never rejects. */
export type Deliver = (delivery: Delivery) => void | Promise<void>;

/** Runs `done` once the runner is finished with a delivery: at once when `deliver` returned nothing. */
export function whenDelivered(result: void | Promise<void>, done: () => void): void {
  if (result) void result.finally(done);
  else done();
}

export interface Transport {
  readonly name: string;
  readonly features: TransportFeatures;
  readonly status: BusStatus;
  /** Calls `listener` on every status change; returns the unsubscribe function. */
  onStatus(listener: (status: BusStatus) => void): () => void;
  connect(): Promise<void>;
  /** Resolves once the transport has accepted the message (core NATS: queued for the socket; JetStream: stored). */
  publish(subject: string, data: Uint8Array, options?: SendOptions): Promise<PublishReceipt>;
  /** Rejects with EB_ERR_REQUEST_TIMEOUT or EB_ERR_NO_RESPONDERS. */
  request(subject: string, data: Uint8Array, options: RequestOptions): Promise<InboundMessage>;
  /**
   * `deliver` returns when the runner is done with the delivery, or a promise that settles then
   * (see whenDelivered); durable transports pull more only then.
   */
  subscribe(spec: SubscriptionSpec, deliver: Deliver): Promise<Subscription>;
  /**
   * Creates or updates what the listeners need (streams, durable consumers), or with
   * `dryRun` only reports it. Only durable transports have it.
   */
  provision?(specs: readonly SubscriptionSpec[], options: { dryRun: boolean; onProgress?: ProvisionProgress }): Promise<ProvisionChange[]>;
  /** Durable transports: the configured streams with all their consumers, as the server reports them (`nats-events status`). */
  inspect?(): Promise<StreamState[]>;
  /** Durable transports: the consumers these listeners read from (sampled into the consumer gauges). */
  consumerStates?(specs: readonly SubscriptionSpec[]): Promise<ConsumerState[]>;
  /** Network transports: the server in use, its version and the round-trip time. */
  connectionInfo?(): Promise<ConnectionInfo>;
  /**
   * Network transports: the version the server in use announced (its INFO), read afresh on each
   * call because a reconnect may land on another node. Decides what server-capabilities allows.
   */
  serverVersion?(): string | undefined;
  /**
   * Network transports: a request every responder answers (scatter-gather, as `$SRV.PING`
   * discovery works). Resolves with the replies that arrived until none came for `stallMs`
   * or `maxWaitMs` passed; with none when nothing listens.
   */
  requestMany?(subject: string, data: Uint8Array, options: { maxWaitMs: number; stallMs: number }): Promise<InboundMessage[]>;
  /** Drains subscriptions, flushes what was published, then closes. */
  drain(): Promise<void>;
  close(): Promise<void>;
}
