import { connect, type Message, type Stan } from "node-nats-streaming";
import type { MessageHeaders } from "../../src/index.js";

/**
 * A node-nats-streaming connection used the way the tutorials' Publisher/Listener
 * classes use it: what a service that has not moved to this library yet does. Not a
 * mock: it talks to the same real streaming server as the code under test.
 */
export interface RawStan {
  readonly connection: Stan;
  /** Resolves on the server's ack. Headers are written in the documented NATS/1.0 frame, by hand. */
  publish(channel: string, data: Uint8Array | string, headers?: MessageHeaders): Promise<void>;
  /** A durable queue subscription with manual acks, deliver-all-available: the tutorial Listener. Resolves once ready. */
  listen(channel: string, queueGroup: string, onMessage: (message: Message) => void, options?: { ackWaitMs?: number; ack?: boolean }): Promise<void>;
  /** A plain subscription (new messages only, auto ack), to watch a channel. Resolves once ready. */
  watch(channel: string, onMessage: (message: Message) => void): Promise<void>;
  close(): Promise<void>;
}

let rawClients = 0;

export async function rawStan(url: string, clusterId: string): Promise<RawStan> {
  const connection = connect(clusterId, `raw-client-${process.pid}-${++rawClients}`, { url });
  await new Promise<void>((resolve, reject) => {
    connection.once("connect", () => resolve());
    connection.once("error", reject);
  });
  connection.on("error", () => undefined);
  const ready = (subscription: ReturnType<Stan["subscribe"]>) =>
    new Promise<void>((resolve, reject) => {
      subscription.once("ready", () => resolve());
      subscription.once("error", reject);
    });
  return {
    connection,
    publish: (channel, data, headers) =>
      new Promise<void>((resolve, reject) => {
        let bytes: Uint8Array | string = data;
        if (headers && Object.keys(headers).length > 0) {
          const head = `NATS/1.0\r\n${Object.entries(headers).map(([key, value]) => `${key}: ${value}\r\n`).join("")}\r\n`;
          bytes = Buffer.concat([Buffer.from(head), typeof data === "string" ? Buffer.from(data) : Buffer.from(data)]);
        }
        connection.publish(channel, bytes, (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()));
      }),
    async listen(channel, queueGroup, onMessage, options = {}) {
      const subscriptionOptions = connection
        .subscriptionOptions()
        .setManualAckMode(true)
        .setDeliverAllAvailable()
        .setAckWait(options.ackWaitMs ?? 5_000)
        .setDurableName(queueGroup);
      const subscription = connection.subscribe(channel, queueGroup, subscriptionOptions);
      subscription.on("message", (message: Message) => {
        onMessage(message);
        if (options.ack ?? true) message.ack();
      });
      await ready(subscription);
    },
    async watch(channel, onMessage) {
      const subscription = connection.subscribe(channel);
      subscription.on("message", onMessage);
      await ready(subscription);
    },
    close: () =>
      new Promise<void>((resolve) => {
        connection.once("close", () => resolve());
        connection.close();
      }),
  };
}
