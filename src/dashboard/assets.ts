/**
 * The dashboard's only static files, served from the package itself (no CDN, no build step).
 * The script only asks before destructive actions and ticks "select all"; every page works
 * without it.
 */
export const STYLE_CSS: string = `
:root { color-scheme: light; --fg: #1d2330; --muted: #5f6b7a; --line: #dde2e8; --bg: #f6f7f9; --card: #fff;
  --accent: #2456c9; --ok: #1f7a3d; --warn: #a86200; --bad: #b3261e; font: 14px/1.45 system-ui, sans-serif; }
body { margin: 0; color: var(--fg); background: var(--bg); }
header { display: flex; gap: 24px; align-items: center; padding: 10px 24px; background: #17202e; color: #fff; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
header nav a { color: #c9d4e6; text-decoration: none; margin-right: 16px; }
header nav a.active { color: #fff; border-bottom: 2px solid #7aa2ff; }
header .mode { margin-left: auto; font-size: 12px; color: #c9d4e6; }
main { padding: 16px 24px 40px; max-width: 1600px; }
h2 { font-size: 15px; margin: 24px 0 8px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; margin-bottom: 16px; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
table { font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.error { min-width: 220px; }
.muted { color: var(--muted); }
.flag { display: inline-block; font-size: 11px; padding: 1px 6px; border-radius: 9px; margin: 1px 4px 1px 0; background: #fde8e6; color: var(--bad); }
.flag.warn { background: #fff1dc; color: var(--warn); }
.flag.ok { background: #e3f4e8; color: var(--ok); }
.error { color: var(--bad); word-break: break-word; }
.notice { background: #e3f4e8; border: 1px solid #b7dfc2; padding: 8px 12px; border-radius: 6px; margin-bottom: 12px; }
.problem { background: #fde8e6; border: 1px solid #f3c1bc; padding: 8px 12px; border-radius: 6px; margin-bottom: 12px; }
pre { background: #f1f3f6; padding: 10px; border-radius: 4px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: 0; }
form.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
input, select, button { font: inherit; padding: 4px 8px; }
button { cursor: pointer; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
button.danger { color: var(--bad); }
.actions { display: flex; gap: 8px; margin: 8px 0; flex-wrap: wrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
svg.chart { width: 100%; height: 180px; }
svg.chart .axis { stroke: var(--line); }
svg.chart text { fill: var(--muted); font-size: 11px; }
.legend span { margin-right: 16px; font-size: 12px; }
.legend .handled::before, .legend .failed::before, .legend .dead::before { content: ""; display: inline-block; width: 10px; height: 3px; margin-right: 6px; vertical-align: middle; }
.legend .handled::before { background: #1f7a3d; } .legend .failed::before { background: #a86200; } .legend .dead::before { background: #b3261e; }
a { color: var(--accent); }
`;

export const SCRIPT_JS: string = `
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = (button && button.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
document.addEventListener("change", function (event) {
  if (!event.target.matches("input[data-select-all]")) return;
  var boxes = document.querySelectorAll("input[name=seq]");
  for (var i = 0; i < boxes.length; i++) boxes[i].checked = event.target.checked;
});
`;
