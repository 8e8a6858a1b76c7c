import { describe, expect, it } from "vitest";
import { classifySmtpError } from "./mailer.js";

/** Errors shaped as nodemailer raises them: the reply code, the command, the server's text. */
const smtp = (responseCode: number, command: string, response: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(response), { responseCode, command, response, ...extra });

describe("classifySmtpError", () => {
  it("takes a 4xx for transient, at any stage", () => {
    expect(classifySmtpError(smtp(421, "CONN", "421 4.3.2 Service shutting down"))).toEqual({ type: "transient", code: 421, message: "421 4.3.2 Service shutting down" });
    expect(classifySmtpError(smtp(451, "DATA", "451 4.7.1 Greylisted, try again later"))).toMatchObject({ type: "transient", code: 451 });
    expect(classifySmtpError(smtp(452, "RCPT TO", "452 4.2.2 Mailbox full"))).toMatchObject({ type: "transient", code: 452 });
  });

  it("takes connection trouble for transient, with no code", () => {
    for (const code of ["ECONNECTION", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "ETLS"]) {
      expect(classifySmtpError(Object.assign(new Error(`connect ${code}`), { code }))).toEqual({ type: "transient", code: null, message: `connect ${code}` });
    }
    // Something unknown is tried again rather than given up on.
    expect(classifySmtpError(new Error("something odd"))).toMatchObject({ type: "transient", code: null });
  });

  it("takes a 5xx for permanent, and a bounce only when the recipient was refused", () => {
    expect(classifySmtpError(smtp(550, "RCPT TO", "550 5.1.1 No such user"))).toEqual({ type: "permanent", code: 550, message: "550 5.1.1 No such user", recipientRejected: true });
    // At DATA, a bad-address class (5.1.x) still names the address.
    expect(classifySmtpError(smtp(550, "DATA", "550 5.1.10 Recipient address rejected"))).toMatchObject({ type: "permanent", recipientRejected: true });
    // Policy or content (5.7.1) refuses this message, not the address.
    expect(classifySmtpError(smtp(550, "DATA", "550 5.7.1 Message rejected as spam"))).toMatchObject({ type: "permanent", recipientRejected: false });
    expect(classifySmtpError(smtp(554, "DATA", "554 Transaction failed", { rejected: ["a@example.com"] }))).toMatchObject({ type: "permanent", recipientRejected: true });
  });

  it("takes a full mailbox as a failure of this email, not a reason to suppress the address", () => {
    // 552 5.2.2 after the data: permanent for this message, but the mailbox exists.
    expect(classifySmtpError(smtp(552, "DATA", "552 5.2.2 Mailbox full"))).toEqual({ type: "permanent", code: 552, message: "552 5.2.2 Mailbox full", recipientRejected: false });
    // Refused at RCPT TO, the address itself was turned away.
    expect(classifySmtpError(smtp(552, "RCPT TO", "552 5.2.2 Mailbox full"))).toMatchObject({ type: "permanent", recipientRejected: true });
  });

  it("reads the enhanced status of a multi-line reply, and no other number in the text", () => {
    expect(classifySmtpError(smtp(550, "DATA", "550-5.1.1 The email account does not exist\n550 5.1.1 Try again"))).toMatchObject({ recipientRejected: true });
    // 5.1 appears in the text, not as the status: still a content refusal.
    expect(classifySmtpError(smtp(554, "DATA", "554 5.7.1 Rejected by filter version 5.1.2"))).toMatchObject({ type: "permanent", recipientRejected: false });
  });

  it("tries again after a greylisting deferral, whatever its wording", () => {
    expect(classifySmtpError(smtp(450, "RCPT TO", "450 4.2.0 <a@example.com>: Recipient address rejected: Greylisted"))).toEqual({
      type: "transient",
      code: 450,
      message: "450 4.2.0 <a@example.com>: Recipient address rejected: Greylisted",
    });
  });

  it("keeps the words of anything thrown that is not an SMTP reply", () => {
    expect(classifySmtpError(Object.assign(new Error("Invalid login: 535 Authentication failed"), { code: "EAUTH" }))).toEqual({
      type: "transient",
      code: null,
      message: "Invalid login: 535 Authentication failed",
    });
    expect(classifySmtpError("socket hang up")).toEqual({ type: "transient", code: null, message: "socket hang up" });
  });
});
