// The dashboard's pure parts: escaping, grouping and flags, the rate timeline, dead-letter
// filters, the activity observer's history, the CSRF guard and the overview's replication cell.
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, test } from "node:test";
import { discoverProcesses, type LiveProcess } from "../../src/discovery/discover.js";
import { BUCKET_MS, HISTORY_BUCKETS, ListenerActivityObserver } from "../../src/discovery/listener-activity.js";
import { serviceNameOf } from "../../src/discovery/protocol.js";
import { filterFrom, matches } from "../../src/dashboard/dead-letter-query.js";
import { html, raw } from "../../src/dashboard/html.js";
import { LagHistory } from "../../src/dashboard/lag-history.js";
import { listenerGroups } from "../../src/dashboard/listener-groups.js";
import { overviewPage } from "../../src/dashboard/pages/overview-page.js";
import { activityTimeline } from "../../src/dashboard/rate-chart.js";
import { CsrfGuard } from "../../src/dashboard/security.js";
import { MemoryTransport } from "../../src/index.js";
import type { DeadLetter } from "../../src/transport/jetstream/dead-letter-store.js";
import { singleCopy, type ConsumerState, type Delivery, type StreamState } from "../../src/transport/transport.js";

const NOW = 1_800_000_000_000; // a bucket boundary
const listener = (id: string, overrides: Partial<LiveProcess["listeners"][number]> = {}): LiveProcess["listeners"][number] => ({
  listener: id,
  subject: "order.created",
  queueGroup: "emails",
  durable: true,
  stream: "ORDERS",
  consumer: "emails__order_created",
  lastError: "",
  activity: { handled: 0, failed: 0, deadLettered: 0, bucketMs: BUCKET_MS, history: [] },
  ...overrides,
});
const liveProcess = (pid: string, listeners: LiveProcess["listeners"]): LiveProcess => ({ id: `id-${pid}`, service: "svc", version: "0.1.0", pid, host: "h", transport: "jetstream", started: undefined, listeners });
const consumer = (name: string, pending: number): ConsumerState => ({ stream: "ORDERS", name, filter: "order.created", pending, ackPending: 0, redelivered: 0, replication: singleCopy("n1") });
const streams = (...consumers: ConsumerState[]): StreamState[] => [{ name: "ORDERS", subjects: ["order.>"], exists: true, messages: 9, bytes: 99, consumers, replication: singleCopy("n1") }];

describe("html``", () => {
  test("escapes every interpolated value, nested html`` and raw() stay markup", () => {
    const payload = `<script>alert("x")</script>&'\``;
    assert.equal(html`<td>${payload}</td>`.text, "<td>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;&#96;</td>");
    assert.equal(html`<p>${[html`<b>${"<i>"}</b>`, raw("<br>"), 3, undefined, null, false]}</p>`.text, "<p><b>&#60;i&#62;</b><br>3</p>");
    assert.equal(html`<input value="${'" onfocus="x'}">`.text, '<input value="&#34; onfocus=&#34;x">');
  });
});

describe("listenerGroups", () => {
  test("joins processes by consumer, adds their counters and last-minute rates, keeps the newest error", () => {
    const older = new Date(NOW - 30_000).toISOString();
    const newer = new Date(NOW - 5_000).toISOString();
    const groups = listenerGroups(
      [
        liveProcess("1", [listener("A.on", { lastError: "E1: old", activity: { handled: 5, failed: 1, deadLettered: 0, lastErrorAt: older, bucketMs: BUCKET_MS, history: [[NOW - 120_000, 4, 0, 0], [NOW - 10_000, 1, 1, 0]] } })]),
        liveProcess("2", [listener("A.on", { lastError: "E2: new", activity: { handled: 2, failed: 1, deadLettered: 1, lastErrorAt: newer, bucketMs: BUCKET_MS, history: [[NOW, 2, 1, 1]] } })]),
      ],
      streams(consumer("emails__order_created", 0)),
      new LagHistory(),
      NOW,
    );
    assert.equal(groups.length, 1);
    const [group] = groups;
    assert.deepEqual(group!.processes.map((p) => p.pid), ["1", "2"]);
    assert.deepEqual([group!.handled, group!.failed, group!.deadLettered, group!.handledPerMinute, group!.failedPerMinute], [7, 2, 1, 3, 2]);
    assert.deepEqual(group!.lastError, { text: "E2: new", at: newer });
    assert.equal(group!.state?.pending, 0);
    assert.equal(group!.orphaned, false);
  });

  test("a consumer with pending messages and no live process is flagged; an idle one is not", () => {
    const groups = listenerGroups([], streams(consumer("old", 3), consumer("idle", 0)), new LagHistory(), NOW);
    assert.deepEqual(
      groups.map((group) => [group.key, group.orphaned, group.listeners.length]),
      [
        ["ORDERS/idle", false, 0],
        ["ORDERS/old", true, 0],
      ],
    );
  });

  test("a pending count that rose over three looks, minGap apart, is a growing lag", () => {
    const lag = new LagHistory(5_000);
    const look = (pending: number, at: number) => listenerGroups([liveProcess("1", [listener("A.on")])], streams(consumer("emails__order_created", pending)), lag, at)[0]!;
    assert.equal(look(1, NOW).lagGrowing, false);
    assert.equal(look(9, NOW + 1_000).lagGrowing, false, "a look within minGap is not a sample");
    assert.equal(look(2, NOW + 5_000).lagGrowing, false);
    assert.equal(look(4, NOW + 10_000).lagGrowing, true);
    assert.equal(look(4, NOW + 15_000).lagGrowing, false, "steady is not growing");
  });
});

test("activityTimeline adds up every process's buckets and fills the gaps with zeros", () => {
  const processes = [
    liveProcess("1", [listener("A.on", { activity: { handled: 3, failed: 0, deadLettered: 0, bucketMs: BUCKET_MS, history: [[NOW - BUCKET_MS, 3, 0, 0]] } })]),
    liveProcess("2", [listener("A.on", { activity: { handled: 2, failed: 1, deadLettered: 1, bucketMs: BUCKET_MS, history: [[NOW - BUCKET_MS, 1, 0, 0], [NOW, 1, 1, 1], [NOW - 99 * BUCKET_MS, 50, 0, 0]] } })]),
  ];
  const points = activityTimeline(processes, BUCKET_MS, 6, NOW + 1);
  assert.deepEqual(
    points.map((point) => [point.start - NOW, point.handled, point.failed, point.deadLettered]),
    [-5, -4, -3, -2, -1, 0].map((n) => [n * BUCKET_MS, n === -1 ? 4 : n === 0 ? 1 : 0, n === 0 ? 1 : 0, n === 0 ? 1 : 0]),
  );
});

test("dead-letter filters: subject pattern or part, listener part, reason, UTC time range", () => {
  const letter = { seq: 1, time: new Date("2026-12-01T10:30:15Z"), originalSubject: "order.created", listener: "OrderEmailListener.onOrderCreated", reason: "invalid" } as DeadLetter;
  const match = (query: string) => matches(letter, filterFrom(new URLSearchParams(query)));
  for (const query of ["", "subject=order.*", "subject=order.>", "subject=created", "listener=emaillistener", "reason=invalid", "since=2026-12-01T10:30", "until=2026-12-01T10:30"]) {
    assert.equal(match(query), true, query);
  }
  for (const query of ["subject=payment.*", "subject=order.*.x", "listener=Counter", "reason=undecodable", "since=2026-12-01T10:31", "until=2026-12-01T10:29"]) {
    assert.equal(match(query), false, query);
  }
});

test("the activity observer keeps wall-clock buckets of handled, failed and dead-lettered", () => {
  const observer = new ListenerActivityObserver();
  const info = { id: "A.on", subject: "a", queueGroup: undefined, running: 0, handled: 0 };
  const delivery = {} as Delivery;
  observer.lifecycle({ type: "subscribed", listener: info });
  info.handled++; // the runner counts handled messages; the observer reads the count (countsHandled)
  observer.outcome(info, delivery, { kind: "failed", reason: "handler-error", error: new Error("boom"), code: "E_BOOM", next: "dead-letter" });
  observer.outcome(info, delivery, { kind: "dead-lettered", reason: "max-deliveries", stored: true });
  observer.outcome(info, delivery, { kind: "dead-lettered", reason: "max-deliveries", stored: false });
  const snapshot = observer.snapshot("A.on");
  assert.deepEqual([snapshot.handled, snapshot.failed, snapshot.deadLettered, snapshot.lastError], [1, 1, 1, "E_BOOM: boom"]);
  assert.equal(snapshot.history.length, 1);
  assert.deepEqual(snapshot.history[0]!.slice(1), [1, 1, 1]);
  assert.equal(snapshot.history[0]![0] % BUCKET_MS, 0);
  assert.ok(HISTORY_BUCKETS * BUCKET_MS >= 10 * 60_000, "ten minutes of history");
  assert.deepEqual(observer.snapshot("never.seen").history, []);
  observer.lifecycle({ type: "closed", transport: "memory" }); // stops its bucket timer
});

test("the activity observer counts the handled messages of every subscription of a listener in this process", () => {
  const observer = new ListenerActivityObserver();
  const first = { id: "A.on", subject: "a", queueGroup: undefined, running: 0, handled: 0 };
  observer.lifecycle({ type: "subscribed", listener: first });
  first.handled = 3;
  assert.equal(observer.snapshot("A.on").handled, 3);
  first.handled = 5;
  const again = { ...first, handled: 0 }; // listening again after a stop: the runner's new ListenerInfo
  observer.lifecycle({ type: "subscribed", listener: again });
  again.handled = 2;
  const snapshot = observer.snapshot("A.on");
  assert.equal(snapshot.handled, 7);
  assert.equal(snapshot.history.reduce((sum, bucket) => sum + bucket[1], 0), 7, "every handled message is in a bucket");
  observer.lifecycle({ type: "closed", transport: "memory" });
});

test("service names keep to the protocol's characters; a transport without scatter-gather discovers nothing", async () => {
  assert.equal(serviceNameOf({ name: "orders.api v2" }), "orders-api-v2");
  assert.equal(serviceNameOf({ name: undefined }), "nats-events");
  assert.deepEqual(await discoverProcesses(new MemoryTransport(), "svc"), []);
});

describe("CsrfGuard", () => {
  const guard = new CsrfGuard("secret");
  const request = (headers: Record<string, string>) => ({ headers, socket: {} }) as unknown as IncomingMessage;
  const issued = () => {
    const cookies: string[] = [];
    const res = { appendHeader: (_name: string, value: string) => cookies.push(value) } as unknown as ServerResponse;
    const token = guard.tokenFor(request({}), res, "/events");
    assert.match(cookies[0]!, /^eb_dashboard_csrf=[A-Za-z0-9_-]{43}; Path=\/events; HttpOnly; SameSite=Strict$/);
    return { token, cookie: cookies[0]!.split(";")[0]! };
  };

  test("accepts the token of its own cookie and refuses everything else", () => {
    const { token, cookie } = issued();
    const other = issued();
    assert.equal(guard.refusal(request({ cookie, host: "a:1", origin: "http://a:1", "sec-fetch-site": "same-origin" }), token), undefined);
    assert.match(guard.refusal(request({ cookie }), undefined)!, /no CSRF token/);
    assert.match(guard.refusal(request({ cookie }), other.token)!, /does not match/);
    assert.match(guard.refusal(request({}), token)!, /cookie is missing/);
    assert.match(guard.refusal(request({ cookie, host: "a:1", origin: "http://evil:1" }), token)!, /another origin/);
    assert.match(guard.refusal(request({ cookie, "sec-fetch-site": "cross-site" }), token)!, /another site/);
    assert.match(new CsrfGuard("other secret").refusal(request({ cookie }), token)!, /does not match/, "a token signed under another secret");
  });
});

test("the overview shows each stream's leader and its followers' health, or the election", () => {
  const peer = (server: string, role: "leader" | "follower", state: Partial<{ current: boolean; offline: boolean; lag: number; lastSeenMs: number | null }> = {}) => ({
    server,
    role,
    current: true,
    offline: false,
    lag: 0,
    lastSeenMs: role === "leader" ? null : 100,
    ...state,
  });
  const stream = (name: string, replication: StreamState["replication"]): StreamState => ({ name, subjects: [`${name}.>`], exists: true, messages: 1, bytes: 1, consumers: [], replication });
  const page = overviewPage(
    { base: "/events", title: "t", actions: false, csrf: "x" },
    {
      health: { status: "connected", transport: "jetstream", ready: true, draining: false, reconnects: 2, listeners: [] },
      connection: undefined,
      streams: [
        stream("A", { leader: "n1", replicas: 3, peers: [peer("n1", "leader"), peer("n2", "follower"), peer("n3", "follower", { current: false, lag: 12, lastSeenMs: 4_200 })] }),
        stream("B", { leader: null, replicas: 3, peers: [] }),
        stream("C", { leader: "n2", replicas: 3, peers: [peer("n2", "leader"), peer("n1", "follower", { offline: true, current: false })] }),
        stream("D", singleCopy("solo")),
      ],
      processes: [],
      timeline: [],
      bucketMs: BUCKET_MS,
      problems: [],
    },
    0,
  );
  const text = page.replace(/<[^>]+>/g, "");
  assert.match(text, /leader n1\s*n2 current\s*n3 behind 12, seen 4\.2 s ago/);
  assert.match(text, /no leader: electing/);
  assert.match(text, /leader n2\s*n1 offline/);
  assert.match(text, /leader solo \(1 copy\)/);
});
