import { injectable } from "tsyringe";
import { Listen } from "express-nats-events";
import type { OrderEvent } from "../lib/payload.js";
import { hit } from "../lib/probe.js";

/** Scenario 4: durable JetStream consumer (the queue group names it); the runner acks after the handler. */
@injectable()
export class ConsumeListener {
  @Listen(process.env.BENCH_SUBJECT ?? "bench.js.lib.work", process.env.BENCH_GROUP || "bench-consume")
  onOrder(_event: OrderEvent): void {
    hit();
  }
}
