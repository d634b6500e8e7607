import { EventBus } from "../bus/event-bus.js";
import { loadOptions } from "../bus/load-options.js";
import { createLogger } from "../logger.js";
import { codeOptionsFrom, connectOptionsFrom, type ConnectionFlags } from "./connection-flags.js";
import { loadConfiguredListeners } from "./load-listener-modules.js";
import { createProgress } from "./progress.js";
import { formatTable } from "./table.js";

/**
 * Creates or updates the streams and durable consumers the listeners need, without
 * listening (a deploy step, like `manage.py migrate`). `--dry-run` only shows the plan.
 */
export async function provisionCommand(modules: string[], flags: ConnectionFlags & { dryRun?: boolean; json?: boolean }): Promise<void> {
  const { options, configFile } = await loadOptions(codeOptionsFrom(flags), { configFile: flags.config });
  const logger = createLogger(options.logLevel === "debug" ? "debug" : "warn", { destination: 2 });
  await loadConfiguredListeners(modules, options, configFile, logger);
  const bus = new EventBus();
  // A dry run must not create anything, not even the streams a connect would create.
  await bus.connect({ ...connectOptionsFrom(flags), logger, createStreamsOnConnect: !flags.dryRun });
  try {
    // Progress on stderr, so stdout stays the result (and --json stays parseable).
    let progress: ReturnType<typeof createProgress> | undefined;
    const changes = await bus.provision(undefined, {
      dryRun: flags.dryRun ?? false,
      onProgress: (done, total, change) => {
        progress ??= createProgress(flags.dryRun ? "checked" : "provisioned", total);
        progress.update(done, `${change.kind} ${change.name}`);
      },
    });
    progress?.done();
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(changes, null, 2)}\n`);
      return;
    }
    if (changes.length === 0) {
      process.stdout.write(`transport "${bus.transportName}" keeps no streams or consumers: nothing to provision\n`);
      return;
    }
    const verb = flags.dryRun ? "would " : "";
    const asIs = (action: string) => action === "unchanged" || action === "unavailable";
    const rows = changes.map((change) => [change.kind, asIs(change.action) ? change.action : `${verb}${change.action}`, change.name, change.detail]);
    process.stdout.write(formatTable(["KIND", "ACTION", "NAME", "DETAIL"], rows));
    const pending = changes.filter((change) => !asIs(change.action)).length;
    process.stdout.write(flags.dryRun ? `dry run: ${pending} change(s) not applied\n` : `${pending} change(s) applied\n`);
    const unavailable = changes.filter((change) => change.action === "unavailable").length;
    if (unavailable > 0) {
      // A deploy step must not pass while part of it could not be checked.
      process.stderr.write(`${unavailable} stream(s)/consumer(s) could not be reached (see DETAIL); run provision again once the cluster answers for them\n`);
      process.exitCode = 1;
    }
  } finally {
    await bus.drain();
  }
}
