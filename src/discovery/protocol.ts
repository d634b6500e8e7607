/**
 * The NATS service protocol ("micro", io.nats.micro.v1) as listener processes speak it for
 * discovery: every `register-listeners` process answers `$SRV.PING`, `$SRV.INFO` and
 * `$SRV.STATS` (also addressed by service name, and by name and id), so `nats micro ls`,
 * `nats micro stats <name>` and the dashboard find them without any other infrastructure.
 *
 * Each @Listen of a process is one "endpoint" (subject and queue group as it subscribes);
 * what the protocol has no field for travels in `metadata` (strings only) and in the
 * endpoint stats' free-form `data`.
 */
import { createRequire } from "node:module";
import type { EventBusOptions } from "../bus/options.js";

export const SERVICE_PREFIX = "$SRV";
export type Verb = "PING" | "INFO" | "STATS";
export const VERBS: readonly Verb[] = ["PING", "INFO", "STATS"];

export const ResponseTypes = {
  PING: "io.nats.micro.v1.ping_response",
  INFO: "io.nats.micro.v1.info_response",
  STATS: "io.nats.micro.v1.stats_response",
} as const;

/** `metadata.framework` of our processes: how discovery tells them from other services on the same server. */
export const FRAMEWORK = "express-nats-events";

/** This package's version (the protocol wants a semver per service). */
export const LIBRARY_VERSION: string = (createRequire(import.meta.url)("../../../package.json") as { version: string }).version;

/** Service names allow letters, digits, `-` and `_`: the bus `name` option with anything else replaced, else "nats-events". */
export function serviceNameOf(options: Pick<EventBusOptions, "name">): string {
  return (options.name ?? "nats-events").replace(/[^A-Za-z0-9_-]/g, "-");
}

/** `$SRV.<verb>`, `$SRV.<verb>.<name>`, `$SRV.<verb>.<name>.<id>`. */
export function serviceSubject(verb: Verb, name?: string, id?: string): string {
  return [SERVICE_PREFIX, verb, ...(name ? [name] : []), ...(name && id ? [id] : [])].join(".");
}

/** Per-process facts in the service `metadata`. */
export interface ProcessMetadata {
  readonly framework: typeof FRAMEWORK;
  readonly pid: string;
  readonly host: string;
  readonly transport: string;
}

/** Per-listener facts in an endpoint's `metadata` (the protocol allows strings only). */
export interface ListenerMetadata {
  /** "Class.method" */
  readonly listener: string;
  readonly durable: "true" | "false";
  readonly stream?: string;
  readonly consumer?: string;
}

/** The endpoint stats' `data`: counters since the process started and recent history. */
export interface ListenerActivity {
  readonly handled: number;
  readonly failed: number;
  readonly deadLettered: number;
  /** ISO time of the last failure, when there was one (the text is the endpoint's `last_error`). */
  readonly lastErrorAt?: string;
  /** Width of one history bucket. */
  readonly bucketMs: number;
  /** [bucket start (epoch ms), handled, failed, dead-lettered], oldest first, buckets with nothing left out. */
  readonly history: ReadonlyArray<readonly [number, number, number, number]>;
}

interface ServiceIdentity {
  readonly name: string;
  readonly id: string;
  readonly version: string;
  readonly metadata: ProcessMetadata;
}

export interface PingResponse extends ServiceIdentity {
  readonly type: typeof ResponseTypes.PING;
}

export interface InfoResponse extends ServiceIdentity {
  readonly type: typeof ResponseTypes.INFO;
  readonly description: string;
  readonly endpoints: ReadonlyArray<{ name: string; subject: string; queue_group?: string; metadata: ListenerMetadata }>;
}

export interface StatsResponse extends ServiceIdentity {
  readonly type: typeof ResponseTypes.STATS;
  readonly started: string;
  readonly endpoints: ReadonlyArray<{
    name: string;
    subject: string;
    queue_group?: string;
    num_requests: number;
    num_errors: number;
    last_error: string;
    /** Nanoseconds; we do not time handlers (that would cost every delivery), so these stay 0. */
    processing_time: number;
    average_processing_time: number;
    data: ListenerActivity;
  }>;
}

/** Endpoint names allow what service names allow: "Class.method" becomes "Class-method". */
export function endpointNameOf(listenerId: string): string {
  return listenerId.replace(/[^A-Za-z0-9_-]/g, "-");
}
