import { setTimeout as sleep } from "node:timers/promises";
import { injectable } from "tsyringe";
import { Listen } from "express-nats-events";
import type { OrderEvent } from "../lib/payload.js";
import { hit } from "../lib/probe.js";

/** Scenario 5: a REST-style responder pool; each request takes 100 ms (default concurrency: 100 per process). */
@injectable()
export class PoolListener {
  @Listen(process.env.BENCH_SUBJECT ?? "bench.lib.pool", process.env.BENCH_GROUP || undefined)
  async onRequest(event: OrderEvent): Promise<{ ok: boolean; seq: number }> {
    await sleep(100);
    hit();
    return { ok: true, seq: event.seq };
  }
}
