import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./processes.js";

/** What the child's `record(name, action)` wrote for one step. */
export interface StepResult {
  ok: boolean;
  value?: unknown;
  code?: string;
  message?: string;
}

/** Prepended to every child script: `record(name, action)` stores the step's value or error code/message. */
const RECORDER = `
import "reflect-metadata";
const results = {};
const record = async (name, action) => {
  try { results[name] = { ok: true, value: await action() }; }
  catch (err) { results[name] = { ok: false, code: err.code, message: err.message }; }
};
`;

/**
 * Runs `script` (an ES module body that calls `record(...)`) in a child process inside the
 * package directory, importing the package by its name like a user would, with a
 * module-resolution hook that makes the `hidden` packages impossible to find, as in a project
 * that never installed them. Resolves with what the steps recorded.
 */
export async function runWithoutPackages(hidden: readonly string[], script: string, env: NodeJS.ProcessEnv = {}): Promise<Record<string, StepResult>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "nats-events-without-"));
  try {
    const hooks = `
const hidden = new Set(${JSON.stringify(hidden)});
export async function resolve(specifier, context, next) {
  const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];
  if (hidden.has(name)) {
    const error = new Error("Cannot find package '" + name + "' imported from " + context.parentURL);
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}
`;
    await writeFile(path.join(dir, "hooks.mjs"), hooks);
    await writeFile(path.join(dir, "register.mjs"), `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(path.join(dir, "hooks.mjs")).href)});\n`);
    const body = `${RECORDER}\n${script}\nprocess.stdout.write(JSON.stringify(results));\n`;
    return await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["--import", pathToFileURL(path.join(dir, "register.mjs")).href, "--input-type=module", "-e", body], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      child.once("close", (code) => {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(stdout) as Record<string, StepResult>);
        } catch {
          reject(new Error(`child exited ${code} without results.\nstdout: ${stdout}\nstderr: ${stderr}`));
        }
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
