import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { inspectProject, readJson, type ProjectFacts } from "./init-project.js";
import { CONFIG_FILE, ECOSYSTEM_FILE, SAMPLE, configFile, ecosystemFile, listenerPaths, sampleListener } from "./init-templates.js";
import { mergeCompilerOptions, missingCompilerOptions, newTsconfig } from "./init-tsconfig.js";

export interface InitFlags {
  /** Change an existing tsconfig.json without asking. */
  yes?: boolean;
  /** The web server's compiled entry point (default: package.json "main", else dist/server.js). */
  server?: string;
}

/**
 * `nats-events init`: in an existing npm project, writes what the first run needs — the config file
 * and a pm2 ecosystem file in the project's module format (package.json "type"), a sample listener,
 * and the tsconfig flags decorators need — then prints the next steps. It never overwrites a file:
 * existing ones are left as they are, and an existing tsconfig.json is changed only after a yes.
 */
export async function initCommand(flags: InitFlags): Promise<void> {
  const project = inspectProject(process.cwd(), flags.server);
  const done: string[] = [];
  const write = (relative: string, text: string, what: string, alreadyThere = [relative], whenKept = "") => {
    const existing = alreadyThere.find((name) => existsSync(path.join(project.dir, name)));
    if (existing) return void done.push(`  kept     ${existing} (it exists; nothing changed${whenKept})`);
    mkdirSync(path.dirname(path.join(project.dir, relative)), { recursive: true });
    writeFileSync(path.join(project.dir, relative), text);
    done.push(`  created  ${relative} (${what})`);
  };
  const format = project.esm ? "ES module" : "CommonJS";
  write(CONFIG_FILE, configFile(project), `${format}; jetstream, stream ${SAMPLE.stream} for ${SAMPLE.streamSubjects}`, ["nats-events.config.js", "nats-events.config.mjs", "nats-events.config.cjs"]);
  write(ECOSYSTEM_FILE, ecosystemFile(project), `pm2: ${project.serverScript} and register-listeners`, ["ecosystem.config.js", "ecosystem.config.cjs", "ecosystem.config.mjs"],
    '; add an app with script: require.resolve("express-nats-events/cli"), args: ["register-listeners"] — docs/operations.md, "pm2"');
  write(listenerPaths(project).source, sampleListener(project), `handles ${SAMPLE.subject}`);
  if (project.typescript) done.push(await ensureTsconfig(project, flags));
  process.stdout.write(`nats-events init (${format}${project.typescript ? ", TypeScript" : ", JavaScript"}):\n${done.join("\n")}\n\n${nextSteps(project)}`);
}

async function ensureTsconfig(project: ProjectFacts, flags: InitFlags): Promise<string> {
  const file = path.join(project.dir, "tsconfig.json");
  if (!existsSync(file)) {
    writeFileSync(file, newTsconfig(project.sourceDir, project.outDir));
    return `  created  tsconfig.json (module nodenext, ${project.sourceDir} → ${project.outDir}, decorators and their metadata)`;
  }
  const missing = missingCompilerOptions(readJson(file));
  if (missing.length === 0) return "  kept     tsconfig.json (it has the decorator flags)";
  const flagsText = missing.map((key) => `"${key}": true`).join(", ");
  if (!(await confirm(`tsconfig.json lacks ${flagsText} in compilerOptions (listener classes need them). Add them? [Y/n] `, flags))) {
    return `  kept     tsconfig.json unchanged: add ${flagsText} to its compilerOptions yourself${flags.yes || process.stdin.isTTY ? "" : " (or run nats-events init --yes)"}`;
  }
  writeFileSync(file, mergeCompilerOptions(readFileSync(file, "utf8"), missing));
  return `  updated  tsconfig.json (added ${flagsText}; the rest kept as it was)`;
}

/** Yes with --yes; no without a terminal to ask on; else the person answers. */
async function confirm(question: string, flags: InitFlags): Promise<boolean> {
  if (flags.yes) return true;
  if (!process.stdin.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^(y|yes|)$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

function nextSteps(project: ProjectFacts): string {
  const steps: string[] = [];
  if (project.missingDependencies.length > 0) steps.push(`npm install ${project.missingDependencies.join(" ")}`);
  steps.push(
    `In your web server: import "reflect-metadata" first; start HTTP, then connect the bus and tell pm2 it is up:\n` +
      `       const bus = container.resolve(EventBus); await connectWithRetry(bus, {}); process.send?.("ready");\n` +
      `     and publish from routes through an injected EventPublisher (README: "Connect the bus", "Publish from a route").`,
  );
  if (project.typescript) steps.push("npx tsc    # compiles the sample listener to " + listenerPaths(project).pattern);
  steps.push(`NATS_URL=nats://127.0.0.1:4222 npx pm2-runtime start ${ECOSYSTEM_FILE}    # a nats-server with JetStream (nats-server -js)`);
  steps.push(`npx nats-events publish ${SAMPLE.subject} '{"name":"Ada"}'    # a listener process logs "${SAMPLE.subject} handled"`);
  steps.push("npx nats-events listeners    # what is declared, checked offline (also a CI step)");
  return `Next steps:\n${steps.map((step, index) => `  ${index + 1}. ${step}`).join("\n")}\n`;
}
