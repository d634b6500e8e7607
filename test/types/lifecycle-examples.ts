/** The code of the README's "Stopping and restarting" section, compiled by the type tests so it stays true. */
import type { Server } from "node:http";
import { gracefulShutdown, type GracefulShutdown, type ListenerSetup } from "express-nats-events";

// Stands for pg's Pool (not a dependency of this repository): the same shape the snippets use.
declare class Pool {
  constructor(config: { connectionString?: string });
  query(text: string): Promise<unknown>;
  end(): Promise<void>;
}
declare const server: Server;
declare const pool: Pool;

export const web: GracefulShutdown = gracefulShutdown(server, {
  timeoutMs: 3_000,
  teardown: () => pool.end(),
});
export const exitCode: Promise<number> = web.shutdown();

const setup: ListenerSetup = async ({ container, logger }) => {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL });
  await pool.query("select 1");
  container.register(Pool, { useValue: pool });
  logger.info({}, "pool opened");
  return async () => {
    await pool.end();
    logger.info({}, "pool closed");
  };
};
export default setup;

// A setup without a teardown, and one that is not async, are setups too.
export const registersOnly: ListenerSetup = ({ container }) => void container.register("Clock", { useValue: Date });
