import { ErrorCodes, EventBusError, describeError } from "../../errors.js";

/**
 * The part of node-nats-streaming (0.3.x) this transport uses, declared here so that
 * nothing public names the package's own types: users of the other transports never
 * install it. loadStan() checks, at compile time, that the real module fits.
 */
export interface StanModule<Options extends StanSubscriptionOptions = StanSubscriptionOptions> {
  connect(clusterId: string, clientId: string, options: StanConnectOptions): StanConnection<Options>;
}

/** node-nats-streaming's connect options we set (it forwards the NATS ones to its nats 1.x client). */
export interface StanConnectOptions {
  /** Tried first; nats 1.x adds its own default (localhost:4222) when it is not set, even with `servers`. */
  url?: string;
  servers?: string[];
  user?: string;
  pass?: string;
  token?: string;
  /** Path to a .creds file (nats 1.x reads it itself). */
  userCreds?: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  name?: string;
  /** -1: forever. */
  maxReconnectAttempts?: number;
  reconnectTimeWait?: number;
  /** Milliseconds to wait for the streaming server's answer to connect, subscribe and close requests. */
  connectTimeout?: number;
  /** Milliseconds publish waits for the server's ack. */
  ackTimeout?: number;
  /** "binary": getData() returns the bytes as they were sent. */
  stanEncoding?: "binary";
}

/** The events we listen to: `Plain` ones carry nothing, `Failure` ones an Error (or, from node-nats-streaming, a string). */
interface StanEvents<Plain extends string, Failure extends string> {
  on(event: Plain, listener: () => void): unknown;
  on(event: Failure, listener: (err: Error | string) => void): unknown;
  once(event: Plain, listener: () => void): unknown;
  once(event: Failure, listener: (err: Error | string) => void): unknown;
  removeListener(event: Plain, listener: () => void): unknown;
  removeListener(event: Failure, listener: (err: Error | string) => void): unknown;
}

/** `Options`: the library's own subscription options class; subscribe() takes what subscriptionOptions() made. */
export interface StanConnection<Options extends StanSubscriptionOptions = StanSubscriptionOptions>
  extends StanEvents<"connect" | "close" | "disconnect" | "reconnecting" | "reconnect", "error" | "connection_lost"> {
  publish(subject: string, data: Uint8Array, callback: (err: Error | string | undefined, guid: string) => void): string;
  subscribe(subject: string, queueGroup: string, options: Options): StanSubscription;
  subscriptionOptions(): Options;
  close(): void;
}

export interface StanSubscriptionOptions {
  setManualAckMode(manual: boolean): this;
  setAckWait(ms: number): this;
  setMaxInFlight(count: number): this;
  setDeliverAllAvailable(): this;
  setDurableName(name: string): this;
}

export interface StanSubscription {
  on(event: "message", listener: (message: StanMessage) => void): unknown;
  on(event: "error", listener: (err: Error | string) => void): unknown;
  once(event: "ready" | "closed", listener: () => void): unknown;
  once(event: "error" | "timeout", listener: (err: Error | string) => void): unknown;
  close(): void;
  isClosed(): boolean;
}

export interface StanMessage {
  getSubject(): string;
  getSequence(): number;
  getRawData(): Buffer;
  isRedelivered(): boolean;
  ack(): void;
}

/**
 * The streaming server counts redeliveries (since 0.16) and node-nats-streaming reads the
 * field, but its type declarations do not list the getter: check for it at run time.
 */
export function serverRedeliveryCount(message: StanMessage): number {
  const getter = (message as StanMessage & { getRedeliveryCount?: () => unknown }).getRedeliveryCount;
  const count = typeof getter === "function" ? getter.call(message) : 0;
  return typeof count === "number" && Number.isInteger(count) && count > 0 ? count : 0;
}

type RealSubscriptionOptions<Module extends { connect(...args: never[]): { subscriptionOptions(): unknown } }> = ReturnType<
  ReturnType<Module["connect"]>["subscriptionOptions"]
> & StanSubscriptionOptions;

export const STAN_PACKAGE = "node-nats-streaming";

/**
 * Loads node-nats-streaming on first use; nothing else in the library imports it.
 * Rejects with EB_ERR_OPTIONAL_DEPENDENCY when it (or its nats 1.x client) is not installed.
 */
export async function loadStan(): Promise<StanModule> {
  try {
    const loaded = await import("node-nats-streaming");
    // Compile-time proof that the real module fits our view of it...
    const checked: StanModule<RealSubscriptionOptions<typeof loaded>> = loaded;
    // ...which then forgets the library's options class: subscribe() only ever gets
    // the object subscriptionOptions() of the same connection made.
    return checked as unknown as StanModule;
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new EventBusError(
        ErrorCodes.OPTIONAL_DEPENDENCY,
        `the "stan" transport needs the ${STAN_PACKAGE} package, which is not installed (${describeError(err)}). ` +
          `Install it next to express-nats-events: npm install ${STAN_PACKAGE}`,
        { cause: err },
      );
    }
    throw new EventBusError(ErrorCodes.OPTIONAL_DEPENDENCY, `cannot load ${STAN_PACKAGE}: ${describeError(err)}`, { cause: err });
  }
}
