/**
 * Preloaded (`node --import`) into a real `nats-events register-listeners` process by
 * bench/dispatch.ts. It measures what the library's dispatch adds to each message with the
 * socket, the server and the publisher out of the way (they share scenario 1's two cores and
 * make most of its noise): the same pre-built MSG frames are handed straight to nats.js's
 * protocol parser of two connections in this one process, in alternating rounds:
 *   raw — a plain nats.js subscription: `msg.json()` and the probe's hit();
 *   lib — the library's @Listen handler (bench/listeners/core.listener.ts), through the
 *         transport, the runner and the default observers, as register-listeners runs it.
 * A machine-wide slowdown hits both sides of a round alike, so lib − raw stays put where
 * the absolute figures move. Serves the bench's IPC command `dispatch` (lib/rpc.ts).
 */
import { NatsConnectionImpl } from "@nats-io/nats-core/internal";
import { connect, type Subscription, type SubscriptionOptions } from "@nats-io/transport-node";
import { makePayload } from "../lib/payload.js";
import { hit, messagesSeen } from "../lib/probe.js";
import { serve } from "../lib/rpc.js";

const libSubject = process.env.BENCH_SUBJECT ?? "bench.dispatch.lib";
const rawSubject = `${libSubject}.raw`;
const MESSAGES = 50_000;
const WARMUP_ROUNDS = 8;
/** Frames per parse() call: about 64 KiB, what one socket read hands nats.js. Whole frames only, so the server's own PINGs on the real socket never land inside one. */
const FRAMES_PER_CHUNK = 270;

export interface DispatchRound {
  /** CPU ns per message (user + system) of each side in this round. */
  readonly rawNs: number;
  readonly libNs: number;
}

/** What the `dispatch` command answers. */
export interface DispatchResult {
  /** Messages per side and round. */
  readonly messages: number;
  readonly rounds: DispatchRound[];
}

interface Side {
  readonly connection: NatsConnectionImpl;
  readonly chunks: Uint8Array[];
}

/** The library's side, as soon as register-listeners subscribed its listener (before it says "ready"). */
let lib: Side | undefined;
const subscribe = NatsConnectionImpl.prototype.subscribe;
NatsConnectionImpl.prototype.subscribe = function (this: NatsConnectionImpl, subject: string, options?: SubscriptionOptions): Subscription {
  const subscription = subscribe.call(this, subject, options);
  if (subject === libSubject) lib = { connection: this, chunks: framesFor(subject, subscription.getID()) };
  return subscription;
};

serve({ dispatch: ({ rounds }) => measure(Number(rounds)) });

/** `MESSAGES` MSG frames for one subscription id, in chunks as a socket read would bring them. */
function framesFor(subject: string, sid: number): Uint8Array[] {
  const encoder = new TextEncoder();
  const frames: string[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const payload = JSON.stringify(makePayload(100_000 + i));
    frames.push(`MSG ${subject} ${sid} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`);
  }
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < frames.length; i += FRAMES_PER_CHUNK) chunks.push(encoder.encode(frames.slice(i, i + FRAMES_PER_CHUNK).join("")));
  return chunks;
}

/** Feeds every chunk to the side's parser (the handlers run inside parse()), a turn of the event loop between chunks as between socket reads. */
async function pass(side: Side): Promise<number> {
  const before = messagesSeen();
  const cpu = process.cpuUsage();
  for (const chunk of side.chunks) {
    side.connection.protocol.parser.parse(chunk);
    await new Promise(setImmediate);
  }
  const used = process.cpuUsage(cpu);
  const handled = messagesSeen() - before;
  if (handled !== MESSAGES) throw new Error(`a pass handled ${handled} of ${MESSAGES} messages`);
  return ((used.user + used.system) * 1000) / handled;
}

/** Warm-up rounds, then `rounds` measured ones, raw and lib alternating. */
async function measure(rounds: number): Promise<DispatchResult> {
  if (!lib) throw new Error(`register-listeners did not subscribe to "${libSubject}" (is BENCH_SUBJECT the listener module's subject?)`);
  const connection = (await connect({ servers: process.env.BENCH_URL, name: "bench-dispatch-raw" })) as NatsConnectionImpl;
  try {
    const subscription = connection.subscribe(rawSubject, {
      callback: (err, msg) => {
        if (err) return;
        msg.json();
        hit();
      },
    });
    await connection.flush();
    const raw: Side = { connection, chunks: framesFor(rawSubject, subscription.getID()) };
    for (let i = 0; i < WARMUP_ROUNDS; i++) {
      await pass(raw);
      await pass(lib);
    }
    const results: DispatchRound[] = [];
    for (let i = 0; i < rounds; i++) results.push({ rawNs: await pass(raw), libNs: await pass(lib) });
    return { messages: MESSAGES, rounds: results };
  } finally {
    await connection.close();
  }
}
