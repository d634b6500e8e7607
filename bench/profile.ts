/**
 * Summarizes .cpuprofile files: `node dist/bench/profile.js <file-or-dir> [top]`.
 * (`npm run bench -- --cpu-prof` writes them and prints the same summary.)
 */
import { summarizeProfiles } from "./lib/profile-summary.js";

const [target, top] = process.argv.slice(2);
if (!target) {
  process.stderr.write("usage: node dist/bench/profile.js <file.cpuprofile | directory> [top functions, default 15]\n");
  process.exit(2);
}
process.stdout.write((await summarizeProfiles(target, top ? Number(top) : 15)) + "\n");
