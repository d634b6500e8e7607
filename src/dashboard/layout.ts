import { html, type Html } from "./html.js";

/** What every page needs to know about the request it answers. */
export interface PageContext {
  /** Where the dashboard is mounted ("/events"), for links. */
  readonly base: string;
  readonly title: string;
  /** Replay and discard are offered (readOnly: false and this request authorized). */
  readonly actions: boolean;
  /** The CSRF token to put into forms. */
  readonly csrf: string;
}

export type Section = "overview" | "listeners" | "dead-letters";

const SECTIONS: ReadonlyArray<[Section, string, string]> = [
  ["overview", "Overview", ""],
  ["listeners", "Listeners", "/listeners"],
  ["dead-letters", "Dead letters", "/dead-letters"],
];

/** The page shell: header with navigation, then `body`. `refreshSeconds` reloads pages that have no forms. */
export function layout(ctx: PageContext, active: Section, body: Html, refreshSeconds = 0): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refreshSeconds > 0 ? html`<meta http-equiv="refresh" content="${refreshSeconds}">` : ""}
<title>${SECTIONS.find(([id]) => id === active)![1]} · ${ctx.title}</title>
<link rel="stylesheet" href="${ctx.base}/assets/dashboard.css">
<script src="${ctx.base}/assets/dashboard.js" defer></script>
</head>
<body>
<header>
<h1>${ctx.title}</h1>
<nav>${SECTIONS.map(([id, label, path]) => html`<a href="${ctx.base}${path}/"${id === active ? html` class="active" aria-current="page"` : ""}>${label}</a>`)}</nav>
<span class="mode">${ctx.actions ? "actions enabled" : "read-only"}</span>
</header>
<main>
${body}
</main>
</body>
</html>
`.text;
}
