import type { DeadLetter } from "../../transport/jetstream/dead-letter-store.js";
import { filterParams, isFiltered, type DeadLetterFilter } from "../dead-letter-query.js";
import { html, type Html } from "../html.js";
import { layout, type PageContext } from "../layout.js";
import { CSRF_FIELD } from "../security.js";

export interface DeadLettersData {
  readonly letters: readonly DeadLetter[];
  /** Matching letters in all (letters holds the first page of them). */
  readonly matching: number;
  /** How many were read from the stream, and whether that was all of it. */
  readonly scanned: number;
  readonly complete: boolean;
  readonly filter: DeadLetterFilter;
  /** Set after an action: what it did. */
  readonly notice: string | undefined;
  readonly problem: string | undefined;
}

const REASONS = ["invalid", "undecodable", "max-deliveries", "non-retryable", "handler-error"];

export function deadLettersPage(ctx: PageContext, data: DeadLettersData): string {
  const base = `${ctx.base}/dead-letters`;
  const filterFields = [...filterParams(data.filter)].map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  const body = html`
${data.notice ? html`<div class="notice" role="status">${data.notice}</div>` : ""}
${data.problem ? html`<div class="problem">${data.problem}</div>` : ""}
<h2>Dead letters <span class="muted">(${data.matching} ${isFiltered(data.filter) ? "matching" : "kept"}${data.complete ? "" : `, among the oldest ${data.scanned} read`})</span></h2>
<div class="card">
<form class="filters" method="get" action="${base}/">
<label>subject<input name="subject" value="${data.filter.subject}" placeholder="order.* or part of one"></label>
<label>listener<input name="listener" value="${data.filter.listener}" placeholder="Class.method"></label>
<label>reason<select name="reason"><option value="">any</option>${REASONS.map((reason) => html`<option${reason === data.filter.reason ? html` selected` : ""}>${reason}</option>`)}</select></label>
<label>since (UTC)<input type="datetime-local" name="since" value="${data.filter.since}"></label>
<label>until (UTC)<input type="datetime-local" name="until" value="${data.filter.until}"></label>
<button type="submit">Filter</button>${isFiltered(data.filter) ? html` <a href="${base}/">clear</a>` : ""}
</form>
</div>
${
  ctx.actions && data.matching > 0
    ? html`<form class="actions" method="post" action="${base}/replay" data-confirm="Replay all ${data.matching} matching dead letters?">
<input type="hidden" name="${CSRF_FIELD}" value="${ctx.csrf}"><input type="hidden" name="all" value="matching">${filterFields}
<button type="submit" class="primary" id="replay-all">Replay all ${data.matching} matching</button>
<button type="submit" class="danger" formaction="${base}/discard" data-confirm="Discard all ${data.matching} matching dead letters for good?" id="discard-all">Discard all ${data.matching} matching</button>
</form>`
    : ""
}
<div class="card">${data.letters.length === 0 ? html`<p class="muted">No dead letters${isFiltered(data.filter) ? " match these filters" : ""}.</p>` : lettersTable(ctx, base, data, filterFields)}</div>`;
  return layout(ctx, "dead-letters", body);
}

function lettersTable(ctx: PageContext, base: string, data: DeadLettersData, filterFields: Html[]): Html {
  const table = html`<table id="dead-letters">
<thead><tr>${ctx.actions ? html`<th><input type="checkbox" data-select-all aria-label="select all"></th>` : ""}<th class="num">seq</th><th>time (UTC)</th><th>subject</th><th>listener</th><th>reason</th><th class="num">deliveries</th><th>error</th></tr></thead>
<tbody>${data.letters.map(
    (letter) => html`<tr data-seq="${letter.seq}">
${ctx.actions ? html`<td><input type="checkbox" name="seq" value="${letter.seq}" aria-label="select #${letter.seq}"></td>` : ""}
<td class="num"><a href="${base}/${letter.seq}">#${letter.seq}</a></td>
<td>${letter.time.toISOString().replace("T", " ").slice(0, 19)}</td>
<td>${letter.originalSubject}</td><td>${letter.listener}</td><td><span class="flag warn reason">${letter.reason}</span></td>
<td class="num">${letter.deliveryCount}</td>
<td class="error">${letter.error.length > 160 ? `${letter.error.slice(0, 160)}…` : letter.error}</td>
</tr>`,
  )}</tbody></table>
${data.letters.length < data.matching ? html`<p class="muted">Showing the oldest ${data.letters.length}; narrow the filters to see others.</p>` : ""}`;
  if (!ctx.actions) return table;
  return html`<form method="post" action="${base}/replay">
<input type="hidden" name="${CSRF_FIELD}" value="${ctx.csrf}">${filterFields}
<div class="actions"><button type="submit" class="primary" id="replay-selected">Replay selected</button>
<button type="submit" class="danger" formaction="${base}/discard" data-confirm="Discard the selected dead letters for good?" id="discard-selected">Discard selected</button></div>
${table}</form>`;
}
