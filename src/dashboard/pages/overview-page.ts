import type { BusHealth } from "../../bus/event-bus.js";
import type { LiveProcess } from "../../discovery/discover.js";
import type { ConnectionInfo, ReplicationState, StreamState } from "../../transport/transport.js";
import { ago, formatBytes } from "../format.js";
import { html, type Html } from "../html.js";
import { layout, type PageContext } from "../layout.js";
import { rateChart, type RatePoint } from "../rate-chart.js";

export interface OverviewData {
  readonly health: BusHealth;
  readonly connection: ConnectionInfo | undefined;
  readonly streams: readonly StreamState[] | undefined;
  readonly processes: readonly LiveProcess[];
  readonly timeline: readonly RatePoint[];
  readonly bucketMs: number;
  /** What could not be read (shown, never thrown at the user). */
  readonly problems: readonly string[];
}

export function overviewPage(ctx: PageContext, data: OverviewData, refreshSeconds: number): string {
  const { health, connection } = data;
  const body = html`
${data.problems.map((problem) => html`<div class="problem">${problem}</div>`)}
<h2>Connection</h2>
<div class="card"><dl class="facts">
<dt>status</dt><dd>${statusFlag(health.status)} transport ${health.transport ?? "-"}</dd>
<dt>server</dt><dd>${connection?.server ?? "-"}${connection?.serverName ? html` <span class="muted">(${connection.serverName})</span>` : ""}</dd>
<dt>version</dt><dd>${connection?.version ? `nats-server ${connection.version}` : "-"}</dd>
<dt>RTT</dt><dd>${connection?.rttMs !== undefined ? `${connection.rttMs.toFixed(1)} ms` : "-"}</dd>
<dt>reconnects</dt><dd>${health.reconnects}</dd>
<dt>listener processes</dt><dd>${data.processes.length} live ${data.processes.length > 0 ? html`<span class="muted">(${data.processes.map((p) => `pid ${p.pid}@${p.host}`).join(", ")})</span>` : ""}</dd>
</dl></div>
<h2>Activity of the live listener processes</h2>
<div class="card">
<div class="legend"><span class="handled">handled/s</span><span class="failed">failed/s</span><span class="dead">dead-lettered/s</span></div>
${rateChart(data.timeline, data.bucketMs)}
<p class="muted">${totals(data.timeline)} in the last ${Math.round((data.timeline.length * data.bucketMs) / 60_000)} minutes (each process keeps its own history; a process that stopped takes its share with it).</p>
</div>
<h2>Streams</h2>
<div class="card">${data.streams === undefined ? html`<p class="muted">The ${health.transport ?? "current"} transport stores nothing: no streams.</p>` : streamsTable(data.streams)}</div>
${processesTable(data.processes)}`;
  return layout(ctx, "overview", body, refreshSeconds);
}

function statusFlag(status: string): Html {
  return html`<span class="flag ${status === "connected" ? "ok" : status === "reconnecting" || status === "connecting" ? "warn" : ""}">${status}</span>`;
}

function totals(points: readonly RatePoint[]): string {
  const sum = (key: "handled" | "failed" | "deadLettered") => points.reduce((total, point) => total + point[key], 0);
  return `${sum("handled")} handled, ${sum("failed")} failed, ${sum("deadLettered")} dead-lettered`;
}

function streamsTable(streams: readonly StreamState[]): Html {
  if (streams.length === 0) return html`<p class="muted">No streams configured.</p>`;
  return html`<table>
<thead><tr><th>stream</th><th>subjects</th><th class="num">messages</th><th class="num">bytes</th><th class="num">consumers</th><th>leader / replicas</th></tr></thead>
<tbody>${streams.map(
    (stream) => html`<tr>
<td>${stream.name}</td><td>${stream.subjects.join(", ")}</td>
<td class="num">${stream.exists ? stream.messages : html`<span class="flag warn">not created</span>`}</td>
<td class="num">${stream.exists ? formatBytes(stream.bytes) : "-"}</td>
<td class="num">${stream.consumers.length}</td>
<td>${replicationCell(stream.replication)}</td>
</tr>`,
  )}</tbody></table>`;
}

/** The leader, then each follower's health (what `nats-events status` prints as LEADER and REPLICAS). */
function replicationCell(replication: ReplicationState | null): Html {
  if (!replication) return html`<span class="muted">-</span>`;
  const leader = replication.leader ? html`leader <strong>${replication.leader}</strong>` : html`<span class="flag">no leader: electing</span>`;
  const followers = replication.peers.filter((peer) => peer.role === "follower");
  if (followers.length === 0) return html`${leader} <span class="muted">(${replication.replicas === 1 ? "1 copy" : `${replication.replicas} copies`})</span>`;
  return html`${leader}${followers.map(
    (peer) =>
      html`<br>${peer.server} ${
        peer.offline
          ? html`<span class="flag">offline</span>`
          : peer.current
            ? html`<span class="flag ok">current</span>`
            : html`<span class="flag warn">behind ${peer.lag}${peer.lastSeenMs === null ? "" : `, seen ${(peer.lastSeenMs / 1000).toFixed(1)} s ago`}</span>`
      }`,
  )}`;
}

function processesTable(processes: readonly LiveProcess[]): Html {
  if (processes.length === 0) return html`<h2>Listener processes</h2><div class="card"><p class="muted">No register-listeners process answered discovery.</p></div>`;
  return html`<h2>Listener processes</h2>
<div class="card"><table>
<thead><tr><th>process</th><th>service</th><th>transport</th><th>started</th><th class="num">listeners</th><th class="num">handled</th><th class="num">failed</th></tr></thead>
<tbody>${processes.map(
    (process) => html`<tr>
<td>pid ${process.pid}@${process.host}</td><td>${process.service} <span class="muted">${process.version}</span></td><td>${process.transport}</td>
<td>${ago(process.started)}</td><td class="num">${process.listeners.length}</td>
<td class="num">${process.listeners.reduce((sum, l) => sum + l.activity.handled, 0)}</td>
<td class="num">${process.listeners.reduce((sum, l) => sum + l.activity.failed, 0)}</td>
</tr>`,
  )}</tbody></table></div>`;
}
