import nodemailer, { type Transporter } from "nodemailer";
import type { Logger } from "pino";

/** One email as Rekindle hands it to SMTP. */
export interface OutgoingEmail {
  from: string;
  to: { name: string | null; address: string };
  subject: string;
  html: string;
  text: string;
  messageId: string;
  headers: Record<string, string>;
}

/** What the SMTP server said when it took the email. */
export interface Accepted {
  messageId: string;
  response: string;
}

/** The port between delivery and SMTP (or the log, locally). */
export interface Mailer {
  send(email: OutgoingEmail): Promise<Accepted>;
  close(): Promise<void>;
}

/**
 * From SMTP_URL: a pooled SMTP transport (connections reused across emails), or, for `log`,
 * nodemailer's JSON transport with each email logged (subject and recipient), so a laptop
 * without a mail server still shows what would go out.
 */
export function createMailer(
  smtpUrl: string,
  logger: Logger,
  options: { maxConnections?: number; dkim?: { domain: string; selector: string; privateKey: string } } = {},
): Mailer {
  let transport: Transporter;
  if (smtpUrl === "log") {
    transport = nodemailer.createTransport({ jsonTransport: true });
  } else {
    const url = new URL(smtpUrl);
    url.searchParams.set("pool", "true");
    url.searchParams.set("maxConnections", String(options.maxConnections ?? 5));
    transport = nodemailer.createTransport(url.toString());
  }
  const dkim = options.dkim && {
    domainName: options.dkim.domain,
    keySelector: options.dkim.selector,
    privateKey: options.dkim.privateKey,
    // nodemailer's default list plus List-Unsubscribe-Post: one-click must be covered by the signature (RFC 8058).
    headerFieldNames: `${DKIM_HEADERS}:List-Unsubscribe-Post`,
  };
  return {
    async send(email) {
      const info = await transport.sendMail({
        from: email.from,
        to: email.to.name ? { name: email.to.name, address: email.to.address } : email.to.address,
        subject: email.subject,
        html: htmlPart(email.html),
        text: email.text,
        messageId: email.messageId,
        headers: email.headers,
        ...(dkim && { dkim }),
      });
      if (smtpUrl === "log") logger.info({ to: email.to.address, subject: email.subject, messageId: email.messageId }, "email (SMTP_URL=log: not sent)");
      return { messageId: String(info.messageId ?? email.messageId), response: typeof info.response === "string" ? info.response : "logged" };
    },
    async close() {
      transport.close();
    },
  };
}

// nodemailer's own test of a text part: 7-bit clean, and no line over 76 characters (or it is
// over 128 kB). Such a part goes out as it is.
const NOT_7BIT = /[\x00-\x08\x0b\x0c\x0e-\x1f\u0080-\uFFFF]/;
const LONG_LINE = /^.{77,}/m;

/**
 * The HTML part, with its transfer encoding decided here: any part that is not sent as it is goes
 * out quoted-printable. nodemailer would otherwise pick between quoted-printable and base64 by
 * counting the part's letters one character at a time (1.6 s of a worker's 35 s of CPU in
 * `npm run bench`'s one-worker scenario, which sends a sixth faster without it), to choose
 * quoted-printable for any markup: it chooses base64 only when other characters outnumber the
 * Latin letters, and the tags and styles of an HTML email are Latin letters.
 */
function htmlPart(html: string): string | { content: string; contentTransferEncoding: "quoted-printable" } {
  const asItIs = html.length <= 128 * 1024 && !NOT_7BIT.test(html) && !LONG_LINE.test(html);
  return asItIs ? html : { content: html, contentTransferEncoding: "quoted-printable" };
}

const DKIM_HEADERS =
  "From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:Content-ID:" +
  "Content-Description:Resent-Date:Resent-From:Resent-Sender:Resent-To:Resent-Cc:Resent-Message-ID:In-Reply-To:References:" +
  "List-Id:List-Help:List-Unsubscribe:List-Subscribe:List-Post:List-Owner:List-Archive";

/** How an SMTP failure should be treated. */
export type SmtpFailure =
  | { type: "transient"; code: number | null; message: string }
  | { type: "permanent"; code: number; message: string; recipientRejected: boolean };

const CONNECTION_CODES = new Set(["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ECONNREFUSED", "ECONNRESET", "EPIPE", "EHOSTUNREACH", "ENOTFOUND", "ETLS"]);

/**
 * 4xx and connection trouble may pass if tried again; 5xx will not. A 5xx is a bounce (the
 * address is suppressed) only when the recipient itself was refused: at RCPT TO, or with an
 * enhanced status of class 5.1.x (bad mailbox or address, RFC 3463) at any stage. A 550 at DATA
 * with 5.7.1 (policy, spam, content) refuses this message, not the address.
 */
export function classifySmtpError(error: unknown): SmtpFailure {
  const e = error as { responseCode?: number; code?: string; command?: string; response?: string; message?: string; rejected?: unknown[] };
  const message = String(e.response ?? e.message ?? error);
  if (typeof e.responseCode === "number" && e.responseCode >= 500) {
    const badAddress = /^5\d\d[ -]5\.1\.\d{1,3}\b/.test(message);
    const recipientRejected = e.command === "RCPT TO" || (Array.isArray(e.rejected) && e.rejected.length > 0) || badAddress;
    return { type: "permanent", code: e.responseCode, message, recipientRejected };
  }
  if (typeof e.responseCode === "number") return { type: "transient", code: e.responseCode, message };
  if (e.code && CONNECTION_CODES.has(e.code)) return { type: "transient", code: null, message };
  return { type: "transient", code: null, message };
}
