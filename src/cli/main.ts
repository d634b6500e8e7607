#!/usr/bin/env node
import "reflect-metadata";
import { Command } from "commander";
import { isEventBusError } from "../errors.js";
import { addConnectionFlags } from "./connection-flags.js";
import { discardDeadLetters, listDeadLetters, replayDeadLetters } from "./dead-letters.js";
import { pauseCommand, resumeCommand } from "./pause.js";
import type { InitFlags } from "./init.js";
import { provisionCommand } from "./provision.js";
import { listenersCommand } from "./listeners.js";
import { registerListeners } from "./register-listeners.js";
import { publishCommand, requestCommand } from "./send.js";
import { statusCommand } from "./status.js";

const program = new Command("nats-events")
  .description("Event-driven communication over NATS for Express services")
  .showHelpAfterError();

program
  .command("init")
  .description("set up this npm project: nats-events.config.js, a pm2 ecosystem.config.js, a sample listener and the tsconfig flags; never overwrites a file")
  .option("-y, --yes", "add the decorator flags to an existing tsconfig.json without asking")
  .option("--server <file>", "the web server's compiled entry point for pm2 (default: package.json \"main\", else dist/server.js)")
  // Loaded only for init: its JSONC parser is no cost to the commands pm2 starts.
  .action(async (flags: InitFlags) => (await import("./init.js")).initCommand(flags));

addConnectionFlags(
  program
    .command("register-listeners")
    .description("load listener modules, subscribe every @Listen handler and run until SIGTERM (run it under pm2)")
    .argument("[modules...]", "listener module files or globs (default: \"listeners\" from the config file)"),
).action(registerListeners);

addConnectionFlags(
  program
    .command("publish")
    .description("publish one JSON event, e.g. nats-events publish order.created '{\"id\":1}'")
    .argument("<subject>", "subject to publish to")
    .argument("[json]", "payload as JSON (omit for an empty message)")
    .option("--delay <duration>", "deliver to listeners no earlier than this from now: 90s, 15m, 2h, 1d (jetstream, nats-server >= 2.12, stream allowSchedules)")
    .option("--at <time>", "deliver to listeners no earlier than this ISO 8601 time (like --delay)")
    .option("--ttl <duration>", "the stream removes the message after this, handled or not: 30s, 5m... (jetstream, nats-server >= 2.11, stream allowMessageTtl)"),
).action(publishCommand);

addConnectionFlags(
  program
    .command("request")
    .description("send a request and print the JSON reply, e.g. nats-events request quote.get '{\"sku\":\"A1\"}'")
    .argument("<subject>", "subject to send the request to")
    .argument("[json]", "payload as JSON")
    .option("--timeout <ms>", "how long to wait for the reply", "5000"),
).action(requestCommand);

addConnectionFlags(
  program
    .command("provision")
    .description("create or update the JetStream streams and durable consumers the listeners need, without listening (a deploy step)")
    .argument("[modules...]", "listener module files or globs (default: \"listeners\" from the config file)")
    .option("--dry-run", "only show what would change")
    .option("--json", "print the changes as JSON"),
).action(provisionCommand);

addConnectionFlags(
  program
    .command("status")
    .description("show the connection (with the nats-server version), the listeners of the config and, on jetstream, each stream (messages, bytes) and consumer (pending, ack pending, redelivered, paused)")
    .argument("[modules...]", "listener module files or globs (default: \"listeners\" from the config file)")
    .option("--json", "print the report as JSON (for scripts)"),
).action(statusCommand);

addConnectionFlags(
  program
    .command("listeners")
    .description("list what @Listen declared in the listener modules (subject, group, Class.method, stream/consumer), without connecting")
    .argument("[modules...]", "listener module files or globs (default: \"listeners\" from the config file)")
    .option("--json", "print them as JSON"),
).action(listenersCommand);

addConnectionFlags(
  program
    .command("pause")
    .description("pause the JetStream consumers a queue group (or one listener, Class.method) reads from: processes keep running, messages stay in the stream until resume (nats-server >= 2.11)")
    .argument("<name>", "a queue group or a listener id (Class.method), as nats-events listeners shows them")
    .argument("[modules...]", "listener module files or globs (default: \"listeners\" from the config file)")
    .option("--until <time>", "resume by itself then: an ISO 8601 time (2026-12-24T18:00:00Z) or a duration from now (90s, 15m, 2h, 1d); default: until nats-events resume")
    .option("--json", "print the consumers' new state as JSON"),
).action(pauseCommand);

addConnectionFlags(
  program
    .command("resume")
    .description("resume the paused consumers of a queue group (or one listener): the messages kept meanwhile are delivered (nats-server >= 2.11)")
    .argument("<name>", "a queue group or a listener id (Class.method)")
    .argument("[modules...]", "listener module files or globs (default: \"listeners\" from the config file)")
    .option("--json", "print the consumers' new state as JSON"),
).action(resumeCommand);

const deadLetters = program.command("dead-letters").description("inspect, replay and discard the dead letters kept by the jetstream transport");
addConnectionFlags(
  deadLetters
    .command("list")
    .description("list dead letters, oldest first")
    .option("--limit <n>", "how many to show", "50")
    .option("--json", "print them as JSON (with the payload)"),
).action(listDeadLetters);
addConnectionFlags(
  deadLetters
    .command("replay")
    .description("re-publish dead letters to their original subject and remove them")
    .argument("[seqs...]", "dead-letter sequence numbers (from `dead-letters list`)")
    .option("--all", "replay every dead letter"),
).action(replayDeadLetters);
addConnectionFlags(
  deadLetters
    .command("discard")
    .description("remove dead letters without replaying them")
    .argument("[seqs...]", "dead-letter sequence numbers (from `dead-letters list`)")
    .option("--all", "discard every dead letter"),
).action(discardDeadLetters);

program.parseAsync(process.argv).catch((err: unknown) => {
  const code = isEventBusError(err) ? `${err.code}: ` : "";
  process.stderr.write(`nats-events: ${code}${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
