import type { FastifyReply } from "fastify";

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A small page for someone who followed a link from an email (unsubscribe, card update), in `lang`
 * (default `en`). Never cached, and its URL, which holds the link's token, is never sent on as a Referer.
 */
export function htmlPage(reply: FastifyReply, status: number, title: string, body: string, lang = "en") {
  return reply
    .status(status)
    .type("text/html; charset=utf-8")
    .header("cache-control", "no-store")
    .header("referrer-policy", "no-referrer")
    .send(`<!doctype html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2933;line-height:1.5}
fieldset{border:0;padding:0;margin:1rem 0}label{display:block;margin:.4rem 0}
button{font-size:1rem;padding:.6rem 1.2rem;border-radius:6px;border:0;background:#c2410c;color:#fff;cursor:pointer}button:focus,input:focus{outline:3px solid #1f2933}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`);
}
