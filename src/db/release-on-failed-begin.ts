import { type SQL, sql } from "drizzle-orm";
import type { PgTransactionConfig } from "drizzle-orm/pg-core";
import { NodePgSession, NodePgTransaction } from "drizzle-orm/node-postgres";
import pg from "pg";

let patched = false;

/**
 * drizzle-orm's node-postgres `transaction()` (0.45) sends BEGIN before its try/finally: when BEGIN
 * fails — the connection dropped between leaving the pool and BEGIN, as in a PostgreSQL restart, a
 * terminated backend or a network cut — the connection it took is never given back, and the pool
 * is one short for the life of the process. A few such faults, and a worker waits for connections
 * forever (`test/faults.test.ts` caught one: "4 of 4 connections in use" two minutes after
 * PostgreSQL came back). This is the same method with BEGIN inside the try: the connection is
 * always given back, and given back broken (so pg-pool closes it rather than lend it again) when
 * BEGIN or ROLLBACK failed. A ROLLBACK that fails no longer hides the error that caused it.
 */
export function releaseOnFailedBegin(): void {
  if (patched) return;
  patched = true;
  type Session = { client: pg.Pool | pg.PoolClient; dialect: never; schema: never; options: never };
  type Transaction = NodePgSession<Record<string, never>, never>["transaction"];
  type Run = Parameters<Transaction>[0];
  // The parts of drizzle's transaction object this method uses (some are not in its public types).
  type TxLike = { execute(query: SQL): Promise<unknown>; getTransactionConfigSQL(config: PgTransactionConfig): SQL };
  const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));
  const transaction = async function (this: Session, run: Run, config?: PgTransactionConfig) {
    const prototype = Object.getPrototypeOf(this.client) as { constructor: { name: string } } | null;
    const isPool = this.client instanceof pg.Pool || (prototype?.constructor.name.includes("Pool") ?? false);
    const client = isPool ? await (this.client as pg.Pool).connect() : undefined;
    const session = client ? new NodePgSession(client, this.dialect, this.schema, this.options) : (this as unknown as NodePgSession<Record<string, never>, never>);
    const drizzleTx = new NodePgTransaction(this.dialect, session, this.schema);
    const tx = drizzleTx as unknown as TxLike;
    let began = false;
    let broken: Error | undefined;
    try {
      await tx.execute(sql`begin${config ? sql` ${tx.getTransactionConfigSQL(config)}` : undefined}`);
      began = true;
      const result = await run(drizzleTx as unknown as Parameters<Run>[0]);
      await tx.execute(sql`commit`);
      return result;
    } catch (error) {
      if (!began) broken = asError(error);
      else await tx.execute(sql`rollback`).catch((rollbackError: unknown) => (broken = asError(rollbackError)));
      throw error;
    } finally {
      client?.release(broken);
    }
  };
  NodePgSession.prototype.transaction = transaction as unknown as Transaction;
}
