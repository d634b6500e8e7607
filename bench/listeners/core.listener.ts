/**
 * Library listener modules, loaded by the real `nats-events register-listeners`
 * process exactly as a user's would be. Subjects and groups come from the
 * environment so the bench can run several side by side. Each handler calls the
 * same probe hit() as the raw listener (bench/workers/raw-listener.ts).
 */
import { injectable } from "tsyringe";
import { Listen } from "express-nats-events";
import type { OrderEvent } from "../lib/payload.js";
import { hit } from "../lib/probe.js";

/** Scenarios 1 and 7: one JSON event per message, queue group. */
@injectable()
export class CoreListener {
  @Listen(process.env.BENCH_SUBJECT ?? "bench.lib.core", process.env.BENCH_GROUP || undefined)
  onOrder(_event: OrderEvent): void {
    hit();
  }
}
