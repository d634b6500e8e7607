import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse, printParseErrorCode, type ParseError } from "jsonc-parser";
import { ErrorCodes, EventBusError } from "../errors.js";

/** What `nats-events init` learns about the project it runs in. */
export interface ProjectFacts {
  readonly dir: string;
  /** package.json "name", or the folder's name. */
  readonly name: string;
  /** package.json "type": "module": .js files are ES modules. */
  readonly esm: boolean;
  /** A tsconfig.json, or typescript among the dependencies: write TypeScript. */
  readonly typescript: boolean;
  /** Where sources go and where tsc writes them (TypeScript projects). */
  readonly sourceDir: string;
  readonly outDir: string;
  /** The web server's compiled entry point, relative to dir. */
  readonly serverScript: string;
  /** Dependencies a TypeScript listener imports that package.json does not list. */
  readonly missingDependencies: readonly string[];
}

/** Reads package.json (required) and tsconfig.json (optional). */
export function inspectProject(dir: string, server: string | undefined): ProjectFacts {
  const packageFile = path.join(dir, "package.json");
  if (!existsSync(packageFile)) {
    throw new EventBusError(ErrorCodes.INIT, `no package.json in ${dir}: run nats-events init in your project's folder (or create one with npm init -y)`);
  }
  const pkg = readJson(packageFile) as { name?: string; type?: string; main?: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  const dependencies = { ...pkg.dependencies, ...pkg.devDependencies };
  const tsconfigFile = path.join(dir, "tsconfig.json");
  const tsconfig = existsSync(tsconfigFile) ? (readJson(tsconfigFile) as { compilerOptions?: { outDir?: string; rootDir?: string } }) : undefined;
  const typescript = tsconfig !== undefined || "typescript" in dependencies;
  const outDir = normalize(tsconfig?.compilerOptions?.outDir ?? "dist");
  const sourceDir = normalize(tsconfig?.compilerOptions?.rootDir ?? "src");
  const defaultServer = typescript ? `${outDir}/server.js` : "server.js";
  return {
    dir,
    name: pkg.name ?? path.basename(dir),
    esm: pkg.type === "module",
    typescript,
    sourceDir: typescript ? sourceDir : ".",
    outDir,
    serverScript: normalize(server ?? pkg.main ?? defaultServer),
    missingDependencies: typescript ? ["tsyringe", "reflect-metadata"].filter((name) => !(name in dependencies)) : [],
  };
}

/** JSON with comments and trailing commas (tsconfig.json is JSONC); a syntax error names the file, line and column. */
export function readJson(file: string): unknown {
  const text = readFileSync(file, "utf8");
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true });
  if (errors.length > 0) {
    const [first] = errors;
    const before = text.slice(0, first!.offset).split("\n");
    throw new EventBusError(
      ErrorCodes.INIT,
      `cannot read ${file} (line ${before.length}, column ${before.at(-1)!.length + 1}): ${printParseErrorCode(first!.error)}; fix it and run nats-events init again`,
    );
  }
  return value;
}

function normalize(relative: string): string {
  return relative.replace(/^\.\//, "").replace(/\/+$/, "") || ".";
}
