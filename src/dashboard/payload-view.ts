import { html, type Html } from "./html.js";

const HEX_LIMIT = 4096;

/**
 * A payload for people: pretty JSON when it parses as JSON, else the bytes as text (when they
 * are valid UTF-8) and as hex. Always text in the page: html`` escapes it.
 */
export function payloadView(data: Uint8Array): Html {
  if (data.length === 0) return html`<p class="muted">(empty payload)</p>`;
  let text: string | undefined;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(data);
  } catch {
    text = undefined;
  }
  if (text !== undefined) {
    try {
      return html`<p class="muted">JSON, ${data.length} bytes</p><pre class="payload">${JSON.stringify(JSON.parse(text), null, 2)}</pre>`;
    } catch {
      // Not JSON: shown as it is below.
    }
  }
  return html`<p class="muted">not JSON, ${data.length} bytes</p>
${text !== undefined ? html`<pre class="payload">${text}</pre>` : ""}
<h3>raw bytes${data.length > HEX_LIMIT ? ` (first ${HEX_LIMIT})` : ""}</h3><pre class="hex">${hexDump(data.subarray(0, HEX_LIMIT))}</pre>`;
}

function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = [...row].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
    const ascii = [...row].map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : ".")).join("");
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join("\n");
}
