import { randomUUID } from "node:crypto";
import os from "node:os";
import type { EventBus } from "../bus/event-bus.js";
import type { Delivery } from "../transport/transport.js";
import type { ListenerActivityObserver } from "./listener-activity.js";
import {
  FRAMEWORK,
  LIBRARY_VERSION,
  ResponseTypes,
  VERBS,
  endpointNameOf,
  serviceNameOf,
  serviceSubject,
  type InfoResponse,
  type ListenerMetadata,
  type PingResponse,
  type ProcessMetadata,
  type StatsResponse,
  type Verb,
} from "./protocol.js";

/** One @Listen of this process as discovery describes it (the CLI's ListenerRow has these fields). */
export interface DiscoverableListener {
  readonly listener: string;
  readonly subject: string;
  readonly queueGroup: string | null;
  readonly durable: boolean;
  readonly stream?: string;
  readonly consumer?: string;
}

/**
 * Makes this listener process discoverable over NATS with the service protocol: it answers
 * `$SRV.PING|INFO|STATS` (all services), `.<name>` and `.<name>.<id>` with its identity,
 * its listeners and their counters. The subscriptions are core NATS ones of the bus's own
 * connection, so the bus's drain ends them with everything else. Transports without
 * request-reply are left undiscoverable (every transport of ours has it).
 */
export async function startDiscoveryResponder(bus: EventBus, listeners: readonly DiscoverableListener[], activity: ListenerActivityObserver): Promise<void> {
  const transport = bus.transport;
  if (!transport.features.requestReply) return;
  const name = serviceNameOf(bus.options);
  const identity = {
    name,
    id: randomUUID().replaceAll("-", ""),
    version: LIBRARY_VERSION,
    metadata: { framework: FRAMEWORK, pid: String(process.pid), host: os.hostname(), transport: transport.name } satisfies ProcessMetadata,
  };
  const started = new Date().toISOString();
  const endpoints = listeners.map((row) => ({
    name: endpointNameOf(row.listener),
    subject: row.subject,
    ...(row.queueGroup !== null && { queue_group: row.queueGroup }),
    metadata: {
      listener: row.listener,
      durable: row.durable ? "true" : "false",
      ...(row.stream && { stream: row.stream }),
      ...(row.consumer && { consumer: row.consumer }),
    } satisfies ListenerMetadata,
  }));
  const answers: Record<Verb, () => PingResponse | InfoResponse | StatsResponse> = {
    PING: () => ({ type: ResponseTypes.PING, ...identity }),
    INFO: () => ({ type: ResponseTypes.INFO, ...identity, description: `register-listeners (pid ${process.pid})`, endpoints }),
    STATS: () => ({
      type: ResponseTypes.STATS,
      ...identity,
      started,
      endpoints: endpoints.map(({ metadata, ...endpoint }) => {
        const { lastError, ...data } = activity.snapshot(metadata.listener);
        return { ...endpoint, num_requests: data.handled + data.failed, num_errors: data.failed, last_error: lastError, processing_time: 0, average_processing_time: 0, data };
      }),
    }),
  };
  const encoder = new TextEncoder();
  for (const verb of VERBS) {
    const answer = async (delivery: Delivery) => {
      if (delivery.reply) delivery.respond(encoder.encode(JSON.stringify(answers[verb]())));
    };
    for (const subject of [serviceSubject(verb), serviceSubject(verb, name), serviceSubject(verb, name, identity.id)]) {
      await transport.subscribe({ subject, queueGroup: undefined, listenerId: `discovery ${subject}`, concurrency: 1, durable: false }, answer);
    }
  }
}
