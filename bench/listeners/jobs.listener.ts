import { setTimeout as sleep } from "node:timers/promises";
import { injectable } from "tsyringe";
import { Listen } from "express-nats-events";
import type { OrderEvent } from "../lib/payload.js";
import { hit } from "../lib/probe.js";

/** Scenario 6: slow jobs on JetStream, 5 s each, up to 1,000 at once in this process. */
@injectable()
export class JobsListener {
  @Listen(process.env.BENCH_SUBJECT ?? "bench.js.lib.jobs", process.env.BENCH_GROUP || "bench-jobs", { concurrency: 1_000 })
  async onJob(_event: OrderEvent): Promise<void> {
    await sleep(5_000);
    hit();
  }
}
