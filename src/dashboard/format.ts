/** Small text formats shared by the pages. */
export { formatBytes } from "../byte-size.js";

/** "12 s ago", "3 min ago", else the ISO time. */
export function ago(time: Date | string | undefined, now = Date.now()): string {
  if (time === undefined) return "";
  const date = typeof time === "string" ? new Date(time) : time;
  const seconds = Math.round((now - date.getTime()) / 1000);
  if (Number.isNaN(seconds)) return String(time);
  if (seconds < 90) return `${Math.max(seconds, 0)} s ago`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  return date.toISOString().replace("T", " ").slice(0, 19);
}

export function perMinute(count: number): string {
  return count === 0 ? "0/min" : `${count}/min`;
}
