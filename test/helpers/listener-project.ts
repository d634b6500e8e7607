import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/**
 * A temporary project for register-listeners processes (as pm2 would start them in it): a
 * package.json (ESM) and a nats-events.config.js with `config`. Returns its directory; the
 * caller removes it.
 */
export async function createListenerProject(prefix: string, config: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `nats-events-${prefix}-`));
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: `${prefix}-test-app`, private: true, type: "module" }));
  await writeFile(path.join(dir, "nats-events.config.js"), `export default ${JSON.stringify(config, null, 2)};\n`);
  return dir;
}
