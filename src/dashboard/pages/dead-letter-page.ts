import type { DeadLetter } from "../../transport/jetstream/dead-letter-store.js";
import { html } from "../html.js";
import { layout, type PageContext } from "../layout.js";
import { payloadView } from "../payload-view.js";
import { CSRF_FIELD } from "../security.js";

/** One dead letter: why it failed, every header, the payload, and (with actions) replay / discard. */
export function deadLetterPage(ctx: PageContext, letter: DeadLetter): string {
  const base = `${ctx.base}/dead-letters`;
  const body = html`
<p><a href="${base}/">← all dead letters</a></p>
<h2>Dead letter #${letter.seq}</h2>
<div class="card"><dl class="facts">
<dt>time (UTC)</dt><dd>${letter.time.toISOString()}</dd>
<dt>subject</dt><dd>${letter.originalSubject}</dd>
<dt>listener</dt><dd>${letter.listener}</dd>
<dt>reason</dt><dd><span class="flag warn reason">${letter.reason}</span></dd>
<dt>deliveries</dt><dd>${letter.deliveryCount}</dd>
<dt>error</dt><dd class="error">${letter.error || "-"}</dd>
</dl>
${
  ctx.actions
    ? html`<form class="actions" method="post" action="${base}/replay">
<input type="hidden" name="${CSRF_FIELD}" value="${ctx.csrf}"><input type="hidden" name="seq" value="${letter.seq}">
<button type="submit" class="primary" id="replay-one">Replay to ${letter.originalSubject}</button>
<button type="submit" class="danger" formaction="${base}/discard" data-confirm="Discard dead letter #${letter.seq} for good?" id="discard-one">Discard</button>
</form>`
    : ""
}
</div>
<h2>Payload</h2>
<div class="card">${payloadView(letter.data)}</div>
<h2>Headers</h2>
<div class="card"><table id="headers"><tbody>${Object.entries(letter.headers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => html`<tr><th>${name}</th><td>${value}</td></tr>`)}</tbody></table></div>`;
  return layout(ctx, "dead-letters", body);
}
