/**
 * `express-nats-events/dashboard`: a web dashboard for listeners, consumers and dead letters,
 * mounted in your own Express app:
 *
 *     app.use("/events", eventsDashboard({ authorize: (req) => isOperator(req) }));
 *
 * Read-only by default; replay and discard need `readOnly: false` and `authorize`. See docs/dashboard.md.
 */
import type { IncomingMessage } from "node:http";
import { container } from "tsyringe";
import { EventBus } from "../bus/event-bus.js";
import { serviceNameOf } from "../discovery/protocol.js";
import { ErrorCodes, EventBusError } from "../errors.js";
import { DashboardData } from "./dashboard-data.js";
import { createRouter } from "./router.js";
import { CsrfGuard } from "./security.js";

export interface DashboardOptions {
  /** The bus whose connection the dashboard uses. Default: the tsyringe container's EventBus (the one your app connected). */
  bus?: EventBus;
  /** Default true: pages only. false offers replay and discard, and needs `authorize`. */
  readOnly?: boolean;
  /** Called for every request (pages and actions); false answers 403. Required with `readOnly: false`. */
  authorize?: (req: IncomingMessage) => boolean | Promise<boolean>;
  /** Shown in the header and the page titles (default "events"). */
  title?: string;
  /**
   * Signs the CSRF tokens of the action forms. Default: random per process, which is right for
   * one web process; give every instance the same secret when a load balancer spreads one
   * browser's requests over several.
   */
  csrfSecret?: string;
  /** The overview and listeners pages reload themselves this often (default 10; 0: never). */
  refreshSeconds?: number;
  /** Whose listener processes to show: the service name they announce (default: from the bus's `name` option, as register-listeners does). */
  serviceName?: string;
  /** How long discovery waits for listener processes to answer (default 2000 ms at most, 500 ms after the last answer). */
  discovery?: { maxWaitMs?: number; stallMs?: number };
  /** Dead letters read per page view, oldest first (default 1000); filters and "all matching" apply to these. */
  maxDeadLetters?: number;
}

/** An Express (4 or 5) middleware serving the dashboard: `app.use("/events", eventsDashboard())`. */
export function eventsDashboard(options: DashboardOptions = {}) {
  const readOnly = options.readOnly ?? true;
  if (options.authorize !== undefined && typeof options.authorize !== "function") {
    throw new EventBusError(ErrorCodes.CONFIG, `eventsDashboard: authorize must be a function (req) => boolean | Promise<boolean>, got ${typeof options.authorize}`);
  }
  if (!readOnly && !options.authorize) {
    throw new EventBusError(
      ErrorCodes.CONFIG,
      "eventsDashboard: readOnly: false lets the dashboard replay and discard dead letters, so it needs authorize(req) => boolean deciding who may; " +
        "pass one (e.g. checking your session's user), or leave readOnly out for a read-only dashboard",
    );
  }
  const maxDeadLetters = options.maxDeadLetters ?? 1000;
  if (!Number.isInteger(maxDeadLetters) || maxDeadLetters < 1) throw new EventBusError(ErrorCodes.CONFIG, `eventsDashboard: maxDeadLetters must be a whole number >= 1, got ${maxDeadLetters}`);
  const bus = () => options.bus ?? container.resolve(EventBus);
  return createRouter({
    bus,
    data: (connected) => new DashboardData(connected, () => options.serviceName ?? serviceNameOf(connected.options), options.discovery ?? {}, maxDeadLetters),
    readOnly,
    authorize: options.authorize,
    title: options.title ?? "events",
    csrf: new CsrfGuard(options.csrfSecret),
    refreshSeconds: options.refreshSeconds ?? 10,
  });
}
