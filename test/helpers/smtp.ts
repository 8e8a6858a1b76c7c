import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/** What the test SMTP server answers: nothing (accept), or an SMTP error for a recipient or the data. */
export type SmtpBehaviour = (stage: "rcpt" | "data", address: string) => { code: number; message: string } | undefined;

export interface TestSmtp {
  url: string;
  received: ParsedMail[];
  /** The raw messages, as they came over the wire (for signature checks). */
  raw: Buffer[];
  /** Attempts seen, accepted or not. */
  attempts: number;
  behave(behaviour: SmtpBehaviour | undefined): void;
  /** While frozen, emails' data is read but never answered: the client hangs inside the SMTP call. */
  freezeData(frozen: boolean): void;
  /** Answer each email's data after this long, as a busy provider would. */
  slowDown(ms: number): void;
  /** Resolves once `count` emails have been received (or rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server), receiving into memory and parsing with mailparser. */
export async function startSmtp(): Promise<TestSmtp> {
  const received: ParsedMail[] = [];
  const raw: Buffer[] = [];
  let behaviour: SmtpBehaviour | undefined;
  let attempts = 0;
  let frozen = false;
  let delayMs = 0;
  const fail = (result: { code: number; message: string }) => Object.assign(new Error(result.message), { responseCode: result.code });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(address, _session, callback) {
      attempts++;
      const result = behaviour?.("rcpt", address.address);
      callback(result ? fail(result) : undefined);
    },
    onData(stream, session, callback) {
      if (frozen) {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const source = Buffer.concat(chunks);
        simpleParser(source)
          .then((mail) => {
            const result = behaviour?.("data", session.envelope.rcptTo[0]?.address ?? "");
            if (result) return callback(fail(result));
            setTimeout(() => {
              received.push(mail);
              raw.push(source);
              callback();
            }, delayMs);
          })
          .catch(callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    raw,
    get attempts() {
      return attempts;
    },
    behave(next) {
      behaviour = next;
    },
    freezeData(value) {
      frozen = value;
    },
    slowDown(ms) {
      delayMs = ms;
    },
    async waitFor(count, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} email(s), received ${received.length}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return received;
    },
    close: () =>
      new Promise((resolve) => {
        // Frozen sessions would keep close() waiting; end them.
        for (const connection of (server as unknown as { connections: Set<{ close(): void }> }).connections ?? []) connection.close();
        server.close(() => resolve());
      }),
  };
}
