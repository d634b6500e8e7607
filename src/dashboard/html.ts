/**
 * HTML built from tagged templates that escape every interpolated value: a value is text
 * unless it is itself `Html` (the result of another html`` or of raw() on our own markup).
 * Dead-letter payloads, headers and error texts come from anyone who can publish, so there
 * is no other way to put a value into a page.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (char) => `&#${char.charCodeAt(0)};`);
}

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  values.forEach((value, index) => (out += render(value) + strings[index + 1]!));
  return new Html(out);
}

/** Markup we wrote ourselves (never user data). */
export function raw(markup: string): Html {
  return new Html(markup);
}
