import { injectable } from "tsyringe";
import { Listen } from "express-nats-events";
import type { OrderEvent } from "../lib/payload.js";
import { hit } from "../lib/probe.js";

/** Scenario 2: a responder; the returned value is the reply. */
@injectable()
export class ReplyListener {
  @Listen(process.env.BENCH_SUBJECT ?? "bench.lib.reply", process.env.BENCH_GROUP || undefined)
  onRequest(event: OrderEvent): { ok: boolean; seq: number } {
    hit();
    return { ok: true, seq: event.seq };
  }
}
