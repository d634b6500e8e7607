import { ago, perMinute } from "../format.js";
import { html, type Html } from "../html.js";
import { layout, type PageContext } from "../layout.js";
import type { ListenerGroup } from "../listener-groups.js";

export function listenersPage(ctx: PageContext, groups: readonly ListenerGroup[], problems: readonly string[], refreshSeconds: number): string {
  const flagged = groups.filter((group) => group.orphaned || group.lagGrowing).length;
  const body = html`
${problems.map((problem) => html`<div class="problem">${problem}</div>`)}
<h2>Listeners by group <span class="muted">(${groups.length} groups${flagged > 0 ? html`, <span class="error">${flagged} flagged</span>` : ""})</span></h2>
<div class="card">${
    groups.length === 0
      ? html`<p class="muted">No listener process answered and the server has no consumers for the configured streams.</p>`
      : html`<table id="listener-groups">
<thead><tr><th>subject</th><th>group</th><th>listeners</th><th>consumer</th><th>live processes</th>
<th class="num">pending</th><th class="num">ack pending</th><th class="num">redelivered</th>
<th class="num">handled</th><th class="num">failed</th><th>last error</th></tr></thead>
<tbody>${groups.map(groupRow)}</tbody></table>`
  }</div>
<p class="muted">Live processes answered the NATS service discovery request ($SRV.INFO / $SRV.STATS) just now; pending counts are the server's. Rates cover the last minute; totals count since each process started.</p>`;
  return layout(ctx, "listeners", body, refreshSeconds);
}

function groupRow(group: ListenerGroup): Html {
  const state = group.state;
  return html`<tr data-group="${group.key}">
<td>${group.subject}</td>
<td>${group.queueGroup ?? html`<span class="muted">(none)</span>`}</td>
<td>${group.listeners.length > 0 ? group.listeners.map((id, index) => html`${index > 0 ? html`<br>` : ""}${id}`) : html`<span class="muted">unknown (no live process)</span>`}</td>
<td>${group.consumer ? `${group.stream}/${group.consumer}` : html`<span class="muted">${group.durable ? "(not created)" : "core subscription"}</span>`}</td>
<td class="processes">${
    group.processes.length > 0
      ? html`${group.processes.length} live${group.processes.map((process) => html`<br><span class="muted">pid ${process.pid}@${process.host}</span>`)}`
      : html`<span class="muted">none</span>`
  }${group.orphaned ? html`<br><span class="flag">pending, no live process</span>` : ""}${group.lagGrowing ? html`<br><span class="flag warn">lag growing</span>` : ""}</td>
<td class="num pending">${state ? state.pending : "-"}</td>
<td class="num">${state ? state.ackPending : "-"}</td>
<td class="num">${state ? state.redelivered : "-"}</td>
<td class="num">${perMinute(group.handledPerMinute)}<br><span class="muted">${group.handled} total</span></td>
<td class="num">${perMinute(group.failedPerMinute)}<br><span class="muted">${group.failed} total</span></td>
<td>${group.lastError ? html`<span class="error">${group.lastError.text}</span><br><span class="muted">${ago(group.lastError.at)}</span>` : html`<span class="muted">-</span>`}</td>
</tr>`;
}
