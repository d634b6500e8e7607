import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { freePort, startNatsServer, type NatsServer, type NatsServerOptions } from "./nats-server.js";

export interface NatsClusterOptions extends Omit<NatsServerOptions, "port" | "serverName" | "cluster" | "jetstream"> {
  /** Number of nodes (default 3: the smallest cluster that keeps an R3 stream writable with one node down). */
  size?: number;
  /** How long to wait for the cluster to be able to place a stream on every node (default 30 s). */
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
  /** Resolves once every running node answers JetStream API requests (a meta leader is elected) and, with all nodes up, a stream can be placed on all of them. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Stops every node and removes their store dirs. Idempotent. */
  stop(): Promise<void>;
}

const CLUSTER_NAME = "nats-events-test";

/**
 * Starts a JetStream cluster of real nats-server processes on loopback: each node its
 * own client port, route port and temporary store_dir, every node routed to every
 * other. Resolves once the cluster can place a stream on every node, so a test can create
 * R3 streams at once.
 */
/**
 * The route ports must be known before any node starts (each lists the others), so they are picked
 * free and then bound by the servers: a test file running alongside may take one in between. Then
 * the nodes are started again on other ports (a few times) instead of failing the test.
 */
async function startNodes(names: readonly string[], serverOptions: Omit<NatsClusterOptions, "size" | "readyTimeoutMs">): Promise<NatsServer[]> {
  for (let attempt = 1; ; attempt++) {
    const routePorts = await Promise.all(names.map(() => freePort()));
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
    if (!failed) return nodes;
    await Promise.all(nodes.map((node) => node.stop()));
    if (attempt >= 3 || !/address already in use/i.test(String((failed.reason as Error)?.message))) throw failed.reason;
  }
}

export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const { size = 3, readyTimeoutMs = 30_000, ...serverOptions } = options;
  const names = Array.from({ length: size }, (_, index) => `n${index + 1}`);
  const nodes = await startNodes(names, serverOptions);

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
    waitReady: (timeoutMs = readyTimeoutMs) => waitForPlacement(nodes, timeoutMs),
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

/**
 * Ready means each running node answers `$JS.API.INFO` (a meta leader is elected) and, when
 * every node runs, a stream with a replica on each can be placed. A fresh or restarted cluster
 * answers JetStream requests a moment before every node is known as a peer again; until then an
 * R3 stream fails with "no suitable peers for placement", so that step creates and deletes a
 * throwaway stream until it works. With a node down there is nothing more to wait for.
 */
async function waitForPlacement(nodes: readonly NatsServer[], timeoutMs: number): Promise<void> {
  const running = nodes.filter((node) => node.running);
  const deadline = Date.now() + timeoutMs;
  for (const node of running) {
    await untilDeadline(deadline, `a JetStream meta leader, asked through ${node.url}`, node, (jsm) => jsm.getAccountInfo());
  }
  if (running.length < nodes.length) return;
  const probe = `PLACEMENT_PROBE_${process.pid}_${Date.now()}`;
  await untilDeadline(deadline, `placement of a stream with ${running.length} replicas`, running[0]!, async (jsm) => {
    await jsm.streams.add({ name: probe, subjects: [`${probe.toLowerCase()}.probe`], num_replicas: running.length });
    await jsm.streams.delete(probe);
  });
}

/** Retries `attempt` through `node` every 100 ms until it resolves, failing with the node's output at `deadline`. */
async function untilDeadline(deadline: number, what: string, node: NatsServer, attempt: (jsm: JetStreamManager) => Promise<unknown>): Promise<void> {
  const nc = await connect({ servers: node.url, name: "nats-cluster-helper", maxReconnectAttempts: 0 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2_000, checkAPI: false });
    for (;;) {
      try {
        await attempt(jsm);
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Error(`the cluster was not ready in time: no ${what} (last error: ${String(err)}).\n--- ${node.url} output ---\n${node.output().slice(-4_000)}`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await nc.close();
  }
}
