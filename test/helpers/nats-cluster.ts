import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { freePort, startNatsServer, type NatsServer, type NatsServerOptions } from "./nats-server.js";

export interface NatsClusterOptions extends Omit<NatsServerOptions, "port" | "serverName" | "cluster" | "jetstream"> {
  /** Number of nodes (default 3: the smallest cluster that keeps an R3 stream writable with one node down). */
  size?: number;
  /** How long to wait for the cluster to elect a JetStream meta leader (default 30 s). */
  readyTimeoutMs?: number;
}

export interface NatsCluster {
  /** The nodes, named n1, n2, … (their server_name). */
  readonly nodes: readonly NatsServer[];
  /** Every node's client URL: what a client gets as its `servers` list. */
  readonly urls: string[];
  /** The node whose server_name is `name` (as stream and consumer infos report leaders). */
  node(name: string): NatsServer;
  /** The server_name of `node`. */
  nameOf(node: NatsServer): string;
  /** Resolves once every running node answers JetStream API requests (a meta leader is elected). */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Stops every node and removes their store dirs. Idempotent. */
  stop(): Promise<void>;
}

const CLUSTER_NAME = "nats-events-test";

/**
 * Starts a JetStream cluster of real nats-server processes on loopback: each node its
 * own client port, route port and temporary store_dir, every node routed to every
 * other. Resolves once the cluster has a JetStream meta leader, so a test can create
 * R3 streams at once.
 */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const { size = 3, readyTimeoutMs = 30_000, ...serverOptions } = options;
  const routePorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const names = routePorts.map((_, index) => `n${index + 1}`);
  const started = await Promise.allSettled(
    routePorts.map((port, index) =>
      startNatsServer({
        ...serverOptions,
        jetstream: true,
        serverName: names[index],
        cluster: { name: CLUSTER_NAME, port, routes: routePorts },
      }),
    ),
  );
  const nodes = started.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const failed = started.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failed) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw failed.reason;
  }

  let stopping: Promise<void> | undefined;
  const cluster: NatsCluster = {
    nodes,
    get urls() {
      return nodes.map((node) => node.url);
    },
    node(name) {
      const index = names.indexOf(name);
      if (index === -1) throw new Error(`no node named "${name}" in this cluster (nodes: ${names.join(", ")})`);
      return nodes[index]!;
    },
    nameOf(node) {
      const index = nodes.indexOf(node);
      if (index === -1) throw new Error("that server is not a node of this cluster");
      return names[index]!;
    },
    waitReady: (timeoutMs = readyTimeoutMs) => waitForMetaLeader(nodes, timeoutMs),
    stop() {
      stopping ??= Promise.all(nodes.map((node) => node.stop())).then(() => undefined);
      return stopping;
    },
  };
  try {
    await cluster.waitReady();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** Each running node must answer `$JS.API.INFO`: only then can streams be created through it. */
async function waitForMetaLeader(nodes: readonly NatsServer[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const node of nodes.filter((candidate) => candidate.running)) {
    let lastError: unknown;
    let nc: NatsConnection | undefined;
    try {
      nc = await connect({ servers: node.url, name: "nats-cluster-helper", maxReconnectAttempts: 0 });
      const jsm = await jetstreamManager(nc, { timeout: 2_000, checkAPI: false });
      for (;;) {
        try {
          await jsm.getAccountInfo();
          break;
        } catch (err) {
          lastError = err;
        }
        if (Date.now() > deadline) {
          throw new Error(
            `the cluster elected no JetStream meta leader within ${timeoutMs} ms (asked ${node.url}: ${String(lastError)}).\n` +
              `--- ${node.url} output ---\n${node.output().slice(-4_000)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await nc?.close();
    }
  }
}
