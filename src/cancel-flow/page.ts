import type { CancelSession } from "../db/index.js";
import type { CancelFlow } from "./definition.js";
import type { FlowTexts, TextValues } from "./load-flow.js";

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The pages are plain HTML forms: no script at all, nothing from another origin, so they work on
 * any phone and with any assistive technology, and the Content-Security-Policy can forbid
 * everything but the inline style. Each POST answers with a redirect (post/redirect/get), so a
 * reload or a double tap never submits twice; the session's state decides what is shown.
 */
export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLE = `*{box-sizing:border-box}body{margin:0;font:1.0625rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2933;background:#f5f3ef}
main{max-width:34rem;margin:0 auto;padding:1.5rem 1.1rem 3rem}h1{font-size:1.6rem;line-height:1.25;margin:.5rem 0 1rem}
.card{background:#fff;border-radius:12px;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.08);margin:1rem 0}
fieldset{border:0;padding:0;margin:0 0 1rem}legend{font-weight:600;margin-bottom:.5rem;padding:0}
.choice{display:flex;gap:.75rem;align-items:flex-start;padding:.8rem .9rem;margin:.45rem 0;border:1px solid #cbd2d9;border-radius:10px;background:#fff;cursor:pointer;min-height:3rem}
.choice input{width:1.25rem;height:1.25rem;margin:.15rem 0 0;flex:none;accent-color:#c2410c}
label.block{display:block;font-weight:600;margin:.75rem 0 .35rem}textarea{width:100%;min-height:6rem;font:inherit;padding:.6rem;border:1px solid #9aa5b1;border-radius:8px}
.actions{display:flex;flex-direction:column;gap:.65rem;margin-top:1.25rem}
button,.button{display:block;width:100%;text-align:center;font:inherit;font-weight:600;padding:.85rem 1rem;border-radius:10px;border:2px solid transparent;cursor:pointer;text-decoration:none;min-height:3rem}
.primary{background:#c2410c;color:#fff}.secondary{background:#fff;color:#1f2933;border-color:#9aa5b1}.quiet{background:transparent;color:#1f2933;text-decoration:underline;border:0}
button:focus-visible,a:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid #1f2933;outline-offset:2px}
.error{color:#9b1c1c;font-weight:600}.note{background:#fff7ed;border-left:4px solid #c2410c;padding:.75rem 1rem;border-radius:6px}
.offer h2{margin:.1rem 0 .5rem;font-size:1.25rem}@media (min-width:40rem){main{padding-top:3rem}.actions{flex-direction:row-reverse;justify-content:flex-start}.actions>*{width:auto}}`;

/** A whole page in the customer's language. */
export function pageHtml(lang: string, title: string, body: string): string {
  return `<!doctype html><html lang="${escape(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escape(title)}</title><style>${STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export interface PageInput {
  lang: string;
  texts: FlowTexts;
  values: TextValues;
  flow: CancelFlow;
  session: CancelSession;
  /** The survey's own problems (no reason chosen, a required comment missing). */
  error?: { field: "reason" | "comment"; message: string };
}

const back = (input: PageInput) => `<p><a class="button secondary" href="${escape(input.session.returnUrl)}">${input.texts.back(input.values)}</a></p>`;

function survey({ texts, values, flow, session, error }: PageInput): string {
  const reasons = flow.reasons
    .map((reason) => {
      const checked = session.reason === reason.id ? " checked" : "";
      return `<label class="choice"><input type="radio" name="reason" value="${escape(reason.id)}" required${checked}${error?.field === "reason" ? ' aria-invalid="true"' : ""}><span>${texts.reasons[reason.id]?.(values) ?? escape(reason.id)}</span></label>`;
    })
    .join("");
  // Without a script the label cannot follow the choice: it asks for the comment once the chosen
  // reason is known to need one (the server sends the survey back saying so).
  const requiresComment = flow.reasons.find((r) => r.id === session.reason)?.comment === "required";
  const commentLabel = requiresComment ? texts.comment_required_label(values) : texts.comment_label(values);
  const problem = error ? `<p class="error" id="problem" role="alert">${escape(error.message)}</p>` : "";
  return `<h1>${texts.title(values)}</h1><p>${texts.intro(values)}</p>
<form method="post" class="card" novalidate>${problem}
<fieldset${error?.field === "reason" ? ' aria-describedby="problem"' : ""}><legend>${texts.reason_question(values)}</legend>${reasons}</fieldset>
${flow.reasons.every((r) => r.comment === "none") ? "" : `<label class="block" for="comment">${commentLabel}</label><textarea id="comment" name="comment" maxlength="2000"${error?.field === "comment" ? ' aria-invalid="true" aria-describedby="problem"' : ""}>${escape(session.comment ?? "")}</textarea>`}
<div class="actions"><button class="primary" name="action" value="reason">${texts.continue(values)}</button>
<button class="secondary" name="action" value="keep" formnovalidate>${texts.keep(values)}</button></div></form>`;
}

type SessionOffer = NonNullable<CancelSession["offer"]>;

/** An offer's words in the session's language; every offer of a valid flow has them in each. */
function offerWords(texts: FlowTexts, offer: SessionOffer): FlowTexts["offers"][string] {
  const words = texts.offers[offer.id];
  if (!words) throw new Error(`the cancel flow's texts have no words for offer "${offer.id}" (was it removed while this session was open?)`);
  return words;
}

function offer({ texts, values }: PageInput, chosen: SessionOffer): string {
  const words = offerWords(texts, chosen);
  const contact = chosen.type === "contact";
  return `<h1>${texts.offer_intro(values)}</h1>
<form method="post" class="card offer"><h2>${words.title(values)}</h2><p>${words.body(values)}</p>
<div class="actions"><button class="primary" name="action" value="accept">${words.accept(values)}</button>
<button class="secondary" name="action" value="cancel">${texts.decline(values)}</button></div>
${contact ? "" : `<div class="actions"><button class="quiet" name="action" value="keep">${texts.keep(values)}</button></div>`}</form>`;
}

function confirm({ texts, values, flow }: PageInput): string {
  return `<h1>${texts.confirm_title(values)}</h1>
<form method="post" class="card"><p>${flow.cancel_at === "immediately" ? texts.confirm_body_now(values) : texts.confirm_body(values)}</p>
<div class="actions"><button class="primary" name="action" value="cancel">${texts.confirm(values)}</button>
<button class="secondary" name="action" value="keep">${texts.keep(values)}</button></div></form>`;
}

/** How the decision is getting on, said honestly: being applied, or recorded for the team. */
function applyNote({ texts, values, session }: PageInput): string {
  // Never tried: the team applies decisions by design, nothing went wrong.
  if (session.applyStatus === "support" && session.applyVia === "support" && session.applyAttempts === 0) return `<p class="note" role="status">${texts.apply_by_team(values)}</p>`;
  if (session.applyStatus === "failed" || session.applyStatus === "support") return `<p class="note" role="status">${texts.apply_failed(values)}</p>`;
  if (session.applyStatus === "pending") return `<p class="note" role="status">${texts.applying(values)}</p>`;
  return "";
}

function done(input: PageInput): string {
  const { texts, values, session, flow } = input;
  // An accepted session always has its offer: accepting is choosing it.
  if (session.status === "accepted" && session.offer) {
    const words = offerWords(texts, session.offer);
    const contact = session.offer.type === "contact" ? `<p><a class="button primary" href="${escape(String(session.offer.spec.link))}">${words.accept(values)}</a></p>` : "";
    return `<h1>${texts.accepted_title(values)}</h1><div class="card"><p>${words.done(values)}</p>${applyNote(input)}${contact}</div>${back(input)}`;
  }
  if (session.status === "cancelled") {
    const body = session.decision?.details.at === "immediately" || flow.cancel_at === "immediately" ? texts.cancelled_body_now(values) : texts.cancelled_body(values);
    return `<h1>${texts.cancelled_title(values)}</h1><div class="card"><p>${body}</p>${applyNote(input)}</div>${back(input)}`;
  }
  if (session.status === "kept") return `<h1>${texts.kept_title(values)}</h1><div class="card"><p>${texts.kept_body(values)}</p></div>${back(input)}`;
  return expired(input);
}

export function expired({ texts, values, session }: Pick<PageInput, "texts" | "values"> & { session?: CancelSession }): string {
  return `<h1>${texts.expired_title(values)}</h1><div class="card"><p>${texts.expired_body(values)}</p></div>${session ? `<p><a class="button secondary" href="${escape(session.returnUrl)}">${texts.back(values)}</a></p>` : ""}`;
}

export function invalid({ texts, values }: Pick<PageInput, "texts" | "values">): string {
  return `<h1>${texts.invalid_title(values)}</h1><div class="card"><p>${texts.invalid_body(values)}</p></div>`;
}

/** The page for the session's state: the survey, the offer, the confirmation, or how it ended. */
export function sessionPage(input: PageInput): { title: string; body: string } {
  const { texts, values, session } = input;
  switch (session.status) {
    case "started":
      return { title: texts.title(values), body: survey(input) };
    case "reason_given":
      return session.offer && !session.holdout ? { title: texts.offer_intro(values), body: offer(input, session.offer) } : { title: texts.confirm_title(values), body: confirm(input) };
    case "accepted":
      return { title: texts.accepted_title(values), body: done(input) };
    case "cancelled":
      return { title: texts.cancelled_title(values), body: done(input) };
    case "kept":
      return { title: texts.kept_title(values), body: done(input) };
    case "abandoned":
      return { title: texts.expired_title(values), body: expired(input) };
  }
}
