import { applyEdits, modify } from "jsonc-parser";

/** What listener classes need from tsc: decorators, and the constructor types tsyringe injects by. */
export const REQUIRED_COMPILER_OPTIONS = { experimentalDecorators: true, emitDecoratorMetadata: true } as const;

/** A new project's tsconfig.json: Node's own module system (package.json "type" decides ESM or CommonJS). */
export function newTsconfig(sourceDir: string, outDir: string): string {
  const config = {
    compilerOptions: {
      target: "es2022",
      module: "nodenext",
      moduleResolution: "nodenext",
      rootDir: sourceDir,
      outDir,
      strict: true,
      skipLibCheck: true,
      ...REQUIRED_COMPILER_OPTIONS,
    },
    include: [sourceDir],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** The required options the file's compilerOptions lack (or set otherwise). */
export function missingCompilerOptions(tsconfig: unknown): string[] {
  const options = (tsconfig as { compilerOptions?: Record<string, unknown> } | undefined)?.compilerOptions ?? {};
  return Object.entries(REQUIRED_COMPILER_OPTIONS)
    .filter(([key, value]) => options[key] !== value)
    .map(([key]) => key);
}

/** The file's text with the missing options set; everything else (comments, order, layout) kept. */
export function mergeCompilerOptions(text: string, missing: readonly string[]): string {
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? "  ";
  let merged = text;
  for (const key of missing) {
    const edits = modify(merged, ["compilerOptions", key], true, {
      formattingOptions: { insertSpaces: !indent.includes("\t"), tabSize: indent.includes("\t") ? 1 : indent.length },
    });
    merged = applyEdits(merged, edits);
  }
  return merged;
}
