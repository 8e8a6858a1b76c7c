/** What may stand as a child: nodes, text, nothing (skipped), or lists of those. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

type Handler<E extends Event = Event> = (event: E) => void;

/** Attributes by their HTML names; `on<event>` names a listener; `true` sets a boolean attribute, `false`/null/undefined leave it out. */
export type Attrs = {
  [name: string]: string | number | boolean | null | undefined | Handler<never>;
};

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (child instanceof Node) parent.appendChild(child);
  else if (typeof child === "string" || typeof child === "number") parent.appendChild(document.createTextNode(String(child)));
  else for (const c of child) append(parent, c);
}

/**
 * Creates an element: `h("a", { href: "/x", class: "link" }, "text")`. Text is always text (never
 * parsed as HTML), so customer data cannot inject markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value as EventListener);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, String(value));
  }
  for (const child of children) append(element, child);
  return element;
}

/** Replaces every child of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  for (const child of children) append(parent, child);
}

let ids = 0;
/** A document-unique id, for `for`/`aria-describedby` pairs. */
export const uid = (prefix: string) => `${prefix}-${++ids}`;

/** A labelled control: the label is a real `<label for>`, so a click and a screen reader both find it. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLDivElement {
  if (!control.id) control.id = uid("field");
  const hintEl = hint ? h("p", { class: "hint", id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hintEl);
}
