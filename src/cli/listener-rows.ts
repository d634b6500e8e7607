import type { EventBusOptions } from "../bus/options.js";
import { describeError } from "../errors.js";
import type { ListenerSpec } from "../listeners/registry.js";
import { subscriptionSpecOf } from "../listeners/runner.js";
import { consumerTarget, desiredStreams } from "../transport/jetstream/provisioning.js";
import { formatTable } from "./table.js";

/** One @Listen declaration as the CLI shows it (`nats-events listeners`, `nats-events status`). */
export interface ListenerRow {
  readonly listener: string;
  readonly subject: string;
  readonly queueGroup: string | null;
  readonly concurrency: number;
  /** One process of the group at a time (@Listen option `exclusive`). */
  readonly exclusive?: true;
  /** jetstream: a durable consumer (false: a core subscription, e.g. a request-reply responder). */
  readonly durable: boolean;
  /** jetstream: where it reads from, or why it cannot. */
  readonly stream?: string;
  readonly consumer?: string;
  readonly problem?: string;
}

/** What each recorded listener subscribes to with these options; computed offline, nothing connects. */
export function listenerRows(specs: readonly ListenerSpec[], options: EventBusOptions): ListenerRow[] {
  const jetstream = options.transport === "jetstream";
  const streams = desiredStreams(options);
  return specs.map((spec) => {
    const subscription = subscriptionSpecOf(spec);
    const row: ListenerRow = {
      listener: spec.id,
      subject: spec.subject,
      queueGroup: spec.queueGroup ?? null,
      concurrency: subscription.concurrency,
      ...(subscription.exclusive && { exclusive: true as const }),
      durable: jetstream && subscription.durable,
    };
    if (!row.durable) return row;
    try {
      const target = consumerTarget(subscription, streams, options);
      return { ...row, stream: target.stream, consumer: target.name };
    } catch (err) {
      return { ...row, problem: describeError(err) };
    }
  });
}

export function listenerTable(rows: readonly ListenerRow[]): string {
  if (rows.length === 0) return "no listeners\n";
  const durable = rows.some((row) => row.durable);
  const header = ["LISTENER", "SUBJECT", "GROUP", "CONCURRENCY", ...(durable ? ["STREAM/CONSUMER"] : [])];
  return formatTable(
    header,
    rows.map((row) => [
      row.listener,
      row.subject,
      row.queueGroup ?? "-",
      row.exclusive ? `${row.concurrency} (exclusive)` : String(row.concurrency),
      ...(durable ? [row.durable ? (row.consumer ? `${row.stream}/${row.consumer}` : `(no stream captures ${row.subject})`) : "(core subscription)"] : []),
    ]),
  );
}
