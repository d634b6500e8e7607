// The mapping between our options and node-nats-streaming's, checked against the real
// library (its own option parsing and SubscriptionOptions class; no server, no mock),
// the client id rule, the header frame, and the stan options' validation and env vars.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { connect } from "node-nats-streaming";
import { defaultOptions, ErrorCodes, EventBusError, loadOptions, type EventBusOptions } from "../../src/index.js";
import { decodeFrame, encodeFrame } from "../../src/transport/stan/header-frame.js";
import { applySubscriptionSettings, stanClientId, stanConnectOptions, stanSubscriptionSettings } from "../../src/transport/stan/stan-options.js";
import type { SubscriptionSpec } from "../../src/transport/transport.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function options(overrides: Partial<EventBusOptions> = {}): EventBusOptions {
  return { ...defaultOptions, ...overrides, stan: { ...defaultOptions.stan, ...overrides.stan } };
}

/** node-nats-streaming's `test_opts` parses the options without opening a connection. */
interface ParsedStan {
  options: Record<string, unknown>;
  subscriptionOptions(): Record<string, unknown> & { setManualAckMode(v: boolean): unknown };
}
function parsedByLibrary(connectOptions: object): ParsedStan {
  return connect("cluster", "client", { ...connectOptions, test_opts: true } as never) as unknown as ParsedStan;
}

const spec = (overrides: Partial<SubscriptionSpec> = {}): SubscriptionSpec => ({
  subject: "ticket.created",
  queueGroup: "orders-service",
  listenerId: "TicketCreatedListener.onMessage",
  concurrency: 10,
  durable: true,
  ...overrides,
});

describe("stan client id", () => {
  const identity = (env: NodeJS.ProcessEnv = {}) => ({ env, pid: 4321, hostname: "web-1.example.com" });

  test("defaults to <name or nats-events>-<hostname>-<pid>, with only characters the server accepts", () => {
    assert.equal(stanClientId(options(), 1, identity()), "nats-events-web-1_example_com-4321");
    assert.equal(stanClientId(options({ name: "orders api" }), 1, identity()), "orders_api-web-1_example_com-4321");
  });

  test("uses pm2's process id when pm2 runs the process (stable across restarts), else NODE_APP_INSTANCE", () => {
    assert.equal(stanClientId(options(), 1, identity({ pm_id: "3", NODE_APP_INSTANCE: "1" })), "nats-events-web-1_example_com-pm2-3");
    assert.equal(stanClientId(options(), 1, identity({ NODE_APP_INSTANCE: "1" })), "nats-events-web-1_example_com-pm2-1");
  });

  test("a prefix replaces name and hostname; an explicit client id is used as it is; later connections of one process get -<n>", () => {
    assert.equal(stanClientId(options({ stan: { ...defaultOptions.stan, clientIdPrefix: "tickets" } }), 1, identity({ pm_id: "0" })), "tickets-pm2-0");
    const explicit = options({ stan: { ...defaultOptions.stan, clientId: "tickets-abc" } });
    assert.equal(stanClientId(explicit, 1, identity()), "tickets-abc");
    assert.equal(stanClientId(explicit, 2, identity()), "tickets-abc-2");
  });
});

describe("stan connect options, as node-nats-streaming parses them", () => {
  test("URL, reconnect policy, timeouts and binary payloads", () => {
    const mapped = stanConnectOptions(options({ servers: ["nats://a:4222", "nats://b:4222"], name: "svc", connectTimeoutMs: 1_500, publishTimeoutMs: 2_500, reconnect: { ...defaultOptions.reconnect, maxAttempts: 7, waitMs: 300 } }));
    const parsed = parsedByLibrary(mapped).options;
    assert.equal(parsed.url, "nats://a:4222", "tried first (nats 1.x otherwise adds localhost:4222 in front)");
    assert.deepEqual(parsed.servers, ["nats://a:4222", "nats://b:4222"]);
    assert.equal(parsed.name, "svc");
    assert.equal(parsed.maxReconnectAttempts, 7);
    assert.equal(parsed.reconnectTimeWait, 300);
    assert.equal(parsed.connectTimeout, 1_500);
    assert.equal(parsed.ackTimeout, 2_500, "publish waits this long for the server's ack");
    assert.equal(parsed.stanEncoding, "binary");
  });

  test("stan.url wins over servers; credentials in it become user/pass and leave the URL", () => {
    const parsed = parsedByLibrary(stanConnectOptions(options({ servers: ["nats://core:4222"], stan: { ...defaultOptions.stan, url: "nats://alice:s3cr%40t@stan:4222" } }))).options;
    assert.equal(parsed.url, "nats://stan:4222");
    assert.equal(parsed.user, "alice");
    assert.equal(parsed.pass, "s3cr@t");
  });

  test("explicit auth wins; a token, a creds file; an nkey seed is refused with EB_ERR_CONFIG", () => {
    assert.equal(parsedByLibrary(stanConnectOptions(options({ auth: { token: "tok" } }))).options.token, "tok");
    assert.equal(parsedByLibrary(stanConnectOptions(options({ auth: { credsFile: "/etc/nats/app.creds" } }))).options.userCreds, "/etc/nats/app.creds");
    assert.throws(() => stanConnectOptions(options({ auth: { nkeySeed: "SUAXXXX" } })), (err: unknown) => err instanceof EventBusError && err.code === ErrorCodes.CONFIG && !err.message.includes("SUAXXXX"));
  });

  test("an unreadable TLS file fails with EB_ERR_CONFIG naming the option", () => {
    assert.throws(() => stanConnectOptions(options({ tls: { ca: "/nonexistent/ca.pem" } })), (err: unknown) => err instanceof EventBusError && err.code === ErrorCodes.CONFIG && err.message.includes("tls.ca"));
  });
});

describe("stan subscription options, set on node-nats-streaming's own SubscriptionOptions", () => {
  test("@Listen(subject, group): durable queue subscription named after the group, manual acks, deliver all available", () => {
    const settings = stanSubscriptionSettings(spec(), options({ ackWaitMs: 30_000 }));
    assert.deepEqual(settings, { channel: "ticket.created", queueGroup: "orders-service", durableName: "orders-service", maxInFlight: 10, ackWaitMs: 30_000 });
    const applied = applySubscriptionSettings(settings, parsedByLibrary({}).subscriptionOptions() as never) as unknown as Record<string, unknown>;
    assert.equal(applied.durableName, "orders-service");
    assert.equal(applied.manualAcks, true);
    assert.equal(applied.maxInFlight, 10);
    assert.equal(applied.ackWait, 30_000);
    assert.equal(applied.startPosition, 4, "StartPosition.FIRST: deliver all available");
  });

  test("without a group: one durable group per listener; maxInFlight and durable names from the options; ackWait in whole seconds", () => {
    const settings = stanSubscriptionSettings(spec({ queueGroup: undefined, ackWaitMs: 1_500 }), options({ stan: { ...defaultOptions.stan, maxInFlight: 3, durableNames: { "TicketCreatedListener.onMessage": "legacy-durable" } } }));
    assert.equal(settings.queueGroup, "TicketCreatedListener.onMessage");
    assert.equal(settings.durableName, "legacy-durable");
    assert.equal(settings.maxInFlight, 3);
    assert.equal(settings.ackWaitMs, 2_000, "the server counts ackWait in seconds: rounded up");
  });

  test("wildcard subjects cannot be channels: EB_ERR_SUBSCRIBE pointing at durable: false", () => {
    for (const subject of ["ticket.*", "ticket.>"]) {
      assert.throws(() => stanSubscriptionSettings(spec({ subject }), options()), (err: unknown) => err instanceof EventBusError && err.code === ErrorCodes.SUBSCRIBE && /durable: false/.test(err.message));
    }
  });
});

describe("stan header frame", () => {
  test("no headers: the payload byte for byte (what node-nats-streaming users read)", () => {
    const payload = encoder.encode('{"id":1}');
    assert.equal(encodeFrame(undefined, payload), payload);
    assert.equal(encodeFrame({}, payload), payload);
    assert.deepEqual(decodeFrame(payload), { headers: {}, payload });
  });

  test("headers: a NATS/1.0 block in front; line breaks in values cannot break the frame", () => {
    const framed = encodeFrame({ "X-Trace": "a1", "Eb-Error": "line one\r\nline two" }, encoder.encode('{"id":2}'));
    assert.equal(decoder.decode(framed), 'NATS/1.0\r\nX-Trace: a1\r\nEb-Error: line one line two\r\n\r\n{"id":2}');
    const { headers, payload } = decodeFrame(framed);
    assert.deepEqual(headers, { "X-Trace": "a1", "Eb-Error": "line one line two" });
    assert.equal(decoder.decode(payload), '{"id":2}');
  });

  test("an incomplete frame is left as payload", () => {
    const broken = encoder.encode("NATS/1.0\r\nX: 1\r\n");
    assert.deepEqual(decodeFrame(broken), { headers: {}, payload: broken });
  });
});

describe("stan options: validation and environment variables", () => {
  test("the tutorial deployments' NATS_CLUSTER_ID / NATS_CLIENT_ID and the NATS_STAN_* variables", async () => {
    const { options: loaded } = await loadOptions(
      {},
      { cwd: "/", env: { NATS_TRANSPORT: "stan", NATS_CLUSTER_ID: "ticketing", NATS_CLIENT_ID: "orders-7d9f", NATS_STAN_URL: "nats://nats-srv:4222", NATS_STAN_MAX_IN_FLIGHT: "20", NATS_STAN_HEADERS: "frame", NATS_CLIENT_ID_PREFIX: "orders" } },
    );
    assert.equal(loaded.transport, "stan");
    assert.deepEqual(loaded.stan, { clusterId: "ticketing", clientId: "orders-7d9f", clientIdPrefix: "orders", url: "nats://nats-srv:4222", maxInFlight: 20, headers: "frame", durableNames: {} });
  });

  test("defaults: cluster id test-cluster, headers dropped, no durable name overrides", async () => {
    const { options: loaded } = await loadOptions({}, { cwd: "/", env: {} });
    assert.deepEqual(loaded.stan, { clusterId: "test-cluster", durableNames: {}, headers: "drop" });
  });

  test("invalid values name the option or the variable", async () => {
    const rejects = (input: object, env: NodeJS.ProcessEnv, mention: string) =>
      assert.rejects(loadOptions(input, { cwd: "/", env }), (err: unknown) => err instanceof EventBusError && err.code === ErrorCodes.CONFIG && err.message.includes(mention));
    await rejects({}, { NATS_CLIENT_ID: "orders.service" }, "NATS_CLIENT_ID");
    await rejects({ stan: { headers: "keep" } }, {}, "stan.headers");
    await rejects({ stan: { durableNames: { g: "a:b" } } }, {}, "stan.durableNames");
    await rejects({ stan: { maxInFlight: 0 } }, {}, "stan.maxInFlight");
    await rejects({ stan: { clusterIdd: "x" } }, {}, "unknown option");
  });
});
