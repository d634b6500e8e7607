import type { IncomingMessage, ServerResponse } from "node:http";
import type { EventBus } from "../bus/event-bus.js";
import { describeError } from "../errors.js";
import { SCRIPT_JS, STYLE_CSS } from "./assets.js";
import { filterFrom, filterParams } from "./dead-letter-query.js";
import type { DashboardData } from "./dashboard-data.js";
import { html } from "./html.js";
import { LagHistory } from "./lag-history.js";
import { layout, type PageContext } from "./layout.js";
import { listenerGroups } from "./listener-groups.js";
import { deadLetterPage } from "./pages/dead-letter-page.js";
import { deadLettersPage } from "./pages/dead-letters-page.js";
import { listenersPage } from "./pages/listeners-page.js";
import { overviewPage } from "./pages/overview-page.js";
import { CSRF_FIELD, CsrfGuard, readForm, setSecurityHeaders } from "./security.js";

export type Next = (err?: unknown) => void;
type Request = IncomingMessage & { baseUrl?: string; originalUrl?: string; body?: unknown };

export interface RouterSettings {
  readonly bus: () => EventBus;
  readonly data: (bus: EventBus) => DashboardData;
  readonly readOnly: boolean;
  readonly authorize: ((req: IncomingMessage) => boolean | Promise<boolean>) | undefined;
  readonly title: string;
  readonly csrf: CsrfGuard;
  readonly refreshSeconds: number;
}

const PAGE_SIZE = 100;
const DONE = { replay: "replayed", discard: "discarded" } as const;

/**
 * The dashboard's request handler: its own small routing (GET pages and assets, two POST
 * actions), so it behaves the same mounted in Express 4, Express 5 or a bare http server.
 */
export function createRouter(settings: RouterSettings): (req: Request, res: ServerResponse, next: Next) => void {
  const lag = new LagHistory();
  return (req, res, next) => {
    handle(req, res).catch(next);
  };

  async function handle(req: Request, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    setSecurityHeaders(res);
    if (path === "/assets/dashboard.css") return send(res, 200, "text/css", STYLE_CSS);
    if (path === "/assets/dashboard.js") return send(res, 200, "text/javascript", SCRIPT_JS);
    if (settings.authorize && !(await settings.authorize(req))) return send(res, 403, "text/plain", "403: not authorized for the events dashboard\n");

    const action = path === "/dead-letters/replay" ? "replay" : path === "/dead-letters/discard" ? "discard" : undefined;
    if (req.method === "POST" && action) {
      if (settings.readOnly) return refuse(res, 405, "the dashboard is read-only (mounted without readOnly: false)");
      return act(action, req, res);
    }
    if (req.method !== "GET" && req.method !== "HEAD") return refuse(res, 405, `${req.method} is not allowed here`);

    const bus = settings.bus();
    const base = (req.baseUrl ?? "").replace(/\/+$/, "");
    const ctx: PageContext = { base, title: settings.title, actions: !settings.readOnly, csrf: settings.csrf.tokenFor(req, res, base || "/") };
    if (bus.status !== "connected" && bus.status !== "reconnecting") {
      return send(res, 503, "text/html", layout(ctx, "overview", html`<div class="problem">The event bus is ${bus.status}: nothing to show until it is connected.</div>`));
    }
    const data = settings.data(bus);
    if (path === "/") return send(res, 200, "text/html", overviewPage(ctx, await data.overview(), settings.refreshSeconds));
    if (path === "/listeners") {
      const problems: string[] = [];
      const [processes, streams] = await Promise.all([data.processes(problems), data.streams(problems)]);
      return send(res, 200, "text/html", listenersPage(ctx, listenerGroups(processes, streams ?? [], lag), problems, settings.refreshSeconds));
    }
    if (path === "/dead-letters") return send(res, 200, "text/html", deadLettersPage(ctx, await listData(data, url.searchParams, noticeOf(url.searchParams))));
    const seq = /^\/dead-letters\/(\d+)$/.exec(path)?.[1];
    if (seq) {
      const store = data.deadLetters();
      const letter = typeof store === "string" ? undefined : await store.get(Number(seq));
      if (!letter) return send(res, 404, "text/html", layout(ctx, "dead-letters", html`<div class="problem">No dead letter #${seq} (replayed or discarded already?). <a href="${base}/dead-letters/">All dead letters</a></div>`));
      return send(res, 200, "text/html", deadLetterPage(ctx, letter));
    }
    return send(res, 404, "text/plain", "404: no such dashboard page\n");
  }

  /** Replay or discard the selected (`seq` fields) or all matching (`all=matching` + filter fields) dead letters. */
  async function act(action: "replay" | "discard", req: Request, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const refusal = settings.csrf.refusal(req, form.get(CSRF_FIELD) ?? undefined);
    if (refusal) return refuse(res, 403, `refused: ${refusal}`);
    const bus = settings.bus();
    const data = settings.data(bus);
    const store = data.deadLetters();
    if (typeof store === "string") return refuse(res, 409, store);
    const filter = filterFrom(form);
    const failures: string[] = [];
    const letters =
      form.get("all") === "matching"
        ? (await data.findDeadLetters(store, filter)).letters
        : await Promise.all(
            form.getAll("seq").map(async (text) => {
              const letter = /^\d+$/.test(text) ? await store.get(Number(text)) : undefined;
              if (!letter) failures.push(`#${text}: no such dead letter (replayed or discarded already?)`);
              return letter;
            }),
          );
    let done = 0;
    for (const letter of letters) {
      if (!letter) continue;
      try {
        await (action === "replay" ? store.replay(letter, bus.transport) : store.discard(letter));
        done++;
      } catch (err) {
        failures.push(`#${letter.seq}: ${describeError(err)}`);
      }
    }
    const base = (req.baseUrl ?? "").replace(/\/+$/, "");
    if (failures.length > 0 || letters.length === 0) {
      const ctx: PageContext = { base, title: settings.title, actions: true, csrf: settings.csrf.tokenFor(req, res, base || "/") };
      const problem = letters.length === 0 && failures.length === 0 ? `nothing selected to ${action}` : `${DONE[action]} ${done}; ${failures.length} failed: ${failures.join("; ")}`;
      return send(res, failures.length > 0 ? 500 : 400, "text/html", deadLettersPage(ctx, { ...(await listData(data, filterParams(filter), undefined)), problem }));
    }
    const query = filterParams(filter);
    query.set("done", action);
    query.set("count", String(done));
    res.statusCode = 303;
    res.setHeader("location", `${base}/dead-letters/?${query}`);
    res.end();
  }

  async function listData(data: DashboardData, params: URLSearchParams, notice: string | undefined) {
    const filter = filterFrom(params);
    const store = data.deadLetters();
    if (typeof store === "string") return { letters: [], matching: 0, scanned: 0, complete: true, filter, notice, problem: store };
    try {
      const found = await data.findDeadLetters(store, filter);
      return { letters: found.letters.slice(0, PAGE_SIZE), matching: found.letters.length, scanned: found.scanned, complete: found.complete, filter, notice, problem: undefined };
    } catch (err) {
      return { letters: [], matching: 0, scanned: 0, complete: true, filter, notice, problem: `cannot read the dead letters: ${describeError(err)}` };
    }
  }
}

/** The confirmation after a redirect, built from fixed words and a number (never text from the URL). */
function noticeOf(params: URLSearchParams): string | undefined {
  const done = params.get("done");
  const count = Number(params.get("count"));
  if ((done !== "replay" && done !== "discard") || !Number.isInteger(count)) return undefined;
  return `${DONE[done]} ${count} dead letter${count === 1 ? "" : "s"}`;
}

function refuse(res: ServerResponse, status: 403 | 405 | 409, why: string): void {
  if (status === 405) res.setHeader("allow", "GET, HEAD");
  send(res, status, "text/plain", `${status}: ${why}\n`);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader("content-type", `${type}; charset=utf-8`);
  res.end(body);
}
