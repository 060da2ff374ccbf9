import fs from 'node:fs';
import { createReadStream } from 'node:fs';
import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { loadConfig, type PayscopeConfig } from '../config';
import { render, type SqlFragment } from './sql';

export { ClickHouseError };

/** The store could not be reached (server down, connection refused, embedded engine closed). */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Settings payscope relies on, set on every statement because the embedded engine's defaults differ
 * from a server's (stack notes): 64-bit integers quoted in JSON so JS never rounds them, and
 * synchronous inserts because the ingest batches itself and acknowledges only stored spans.
 */
export const STORE_SETTINGS: ClickHouseSettings = {
  output_format_json_quote_64bit_integers: 1,
  async_insert: 0,
  insert_deduplicate: 1,
  deduplicate_blocks_in_dependent_materialized_views: 1,
  // The embedded connection applies settings with SET, which outlives the statement: clear the
  // spool's deduplication token so no later insert inherits it (and is dropped as a "duplicate").
  insert_deduplication_token: '',
};

/**
 * Settings the query layer and the ingest need on a cluster, on every statement:
 * - `distributed_product_mode = 'global'`: an `IN (SELECT … FROM <distributed table>)` inside a query
 *   on a distributed table (searchTraces by order id, getPayment, the hops' channel/gateway filter and
 *   trace sample) is evaluated once over the whole cluster and its result sent to the shards, which
 *   is exactly the single-node meaning. ClickHouse's default, 'deny', refuses such queries as soon as
 *   the cluster has two shards.
 * - `insert_distributed_sync = 1` (now also called distributed_foreground_insert): an insert into a
 *   Distributed table returns once every shard has stored its rows, so the ingest acknowledges spans
 *   that are stored, and the spool replay's insert_deduplication_token reaches the shards with them.
 */
export const CLUSTER_SETTINGS: ClickHouseSettings = {
  distributed_product_mode: 'global',
  insert_distributed_sync: 1,
};

/** A dashboard/API query went over its time or memory budget (PAYSCOPE_QUERY_TIMEOUT_SEC, ..._MAX_MEMORY_BYTES). */
export class QueryBudgetError extends Error {
  constructor(readonly budget: 'time' | 'memory', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QueryBudgetError';
  }
}

/** Engine error codes of a budget overrun: TIMEOUT_EXCEEDED, TOO_SLOW (estimated to exceed it), MEMORY_LIMIT_EXCEEDED. */
const BUDGET_CODES: Record<string, 'time' | 'memory'> = { '159': 'time', '160': 'time', '241': 'memory' };

export interface QueryBudget {
  /** Seconds; 0 = none. */
  timeoutSec: number;
  /** Bytes; 0 = none. */
  maxMemoryBytes: number;
  /** 0 = the engine's default (all cores). */
  maxThreads: number;
}

export interface Store {
  readonly kind: 'embedded' | 'clickhouse';
  readonly database: string;
  readonly cluster: string;
  readonly client: ClickHouseClient;
  /**
   * Runs a SELECT built with `sql` and returns its rows, within the query budget (time, memory,
   * threads); an overrun throws QueryBudgetError.
   */
  query<T = Record<string, unknown>>(q: SqlFragment, settings?: ClickHouseSettings): Promise<T[]>;
  /** Runs a statement that returns nothing (DDL, INSERT ... SELECT). */
  command(q: SqlFragment, settings?: ClickHouseSettings): Promise<void>;
  /**
   * Inserts a RowBinary file (written by the ingest spool) into `table (columns)`. `dedupToken` makes a
   * replay of the same file a no-op. The embedded engine reads the file itself; a server gets it streamed.
   */
  insertRowBinaryFile(table: string, columns: readonly { name: string; type: string }[], file: string, dedupToken: string): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Observers of the store's work (self-metrics). */
export interface StoreHooks {
  /** Each query()'s time in seconds, failed ones included. */
  onQuery?(seconds: number): void;
}

function isConnectionFailure(err: unknown): boolean {
  if (err instanceof ClickHouseError) return false;
  const code = (err as { code?: string })?.code;
  const msg = String((err as Error)?.message ?? err);
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'].includes(code ?? '') ||
    /closed|socket hang up|Timeout error|ECONNREFUSED/i.test(msg)
  );
}

/**
 * Engine errors can come from another copy of the client's error class (the embedded connection
 * loads `@clickhouse/client-common` through CommonJS, the app may load its ES module build), so they
 * are re-made as this module's ClickHouseError: callers can rely on `instanceof` and `.code`.
 */
function wrap(err: unknown, budget?: ClickHouseSettings): never {
  const e = err as { name?: string; constructor?: { name?: string }; code?: unknown; type?: unknown; message?: string };
  const over = budget && typeof e?.code === 'string' ? BUDGET_CODES[e.code] : undefined;
  if (over === 'time') {
    throw new QueryBudgetError('time', `the query ran past its time budget of ${budget!.max_execution_time} s (PAYSCOPE_QUERY_TIMEOUT_SEC); narrow the time range or filters`, { cause: err });
  }
  if (over === 'memory') {
    throw new QueryBudgetError('memory', `the query needed more than its memory budget of ${budget!.max_memory_usage} bytes (PAYSCOPE_QUERY_MAX_MEMORY_BYTES); narrow the time range or filters`, { cause: err });
  }
  if (!(err instanceof ClickHouseError) && e?.constructor?.name === 'ClickHouseError' && typeof e.code === 'string') {
    const same = new ClickHouseError({ message: e.message ?? '', code: e.code, type: typeof e.type === 'string' ? e.type : undefined });
    (same as Error).cause = err;
    throw same;
  }
  if (isConnectionFailure(err)) throw new StoreUnavailableError(`ClickHouse unavailable: ${(err as Error)?.message ?? err}`, { cause: err });
  throw err;
}

const SPOOL_FILE = /^[A-Za-z0-9._/-]+\.rowbinary$/;

/**
 * The embedded engine's insert of a spool file (the caller has checked the names and the token).
 * Exported for the engine's insert benchmark (bench/ingest-engine.ts), which runs the same statement.
 */
export function embeddedInsertSql(table: string, columns: readonly { name: string; type: string }[], file: string, dedupToken: string): string {
  const cols = columns.map((c) => `\`${c.name}\``).join(', ');
  // The file is read with plain String where the table has LowCardinality(String): the bytes are
  // the same in RowBinary, and converting on insert parses ~2.5x faster than reading LowCardinality.
  const structure = columns.map((c) => `\`${c.name}\` ${c.type.replaceAll('LowCardinality(String)', 'String')}`).join(', ');
  // The token also goes in the statement's own SETTINGS: the embedded engine runs statements of
  // one session in turn, but a SET could still be seen by a statement of another caller.
  return `INSERT INTO ${table} (${cols}) SETTINGS insert_deduplication_token = '${dedupToken}', max_partitions_per_insert_block = 0 SELECT * FROM file('${file}', 'RowBinary', '${structure}')`;
}

const NO_BUDGET: QueryBudget = { timeoutSec: 0, maxMemoryBytes: 0, maxThreads: 0 };

const budgetOf = (config: PayscopeConfig): QueryBudget => ({
  timeoutSec: config.queryTimeoutSec,
  maxMemoryBytes: config.queryMaxMemoryBytes,
  maxThreads: config.queryMaxThreads,
});

class ClickHouseStore implements Store {
  private readonly settings: ClickHouseSettings;
  private readonly budgetSettings: ClickHouseSettings;
  private readonly unbudgeted: ClickHouseSettings;

  /** Insert connections not running an insert now. */
  private readonly idleInsertClients: ClickHouseClient[];

  /**
   * `insertClients`: the embedded engine runs the statements of one connection one at a time, so a
   * dashboard query on the connection the ingest inserts through would hold acknowledgements until it
   * finished; the embedded store gives inserts connections of their own, one per insert that may run
   * at once (connections of one engine run their statements in parallel). A server takes requests in
   * parallel: the same client.
   */
  constructor(
    readonly kind: 'embedded' | 'clickhouse',
    readonly client: ClickHouseClient,
    readonly database: string,
    readonly cluster: string,
    budget: QueryBudget = NO_BUDGET,
    private readonly insertClients: readonly ClickHouseClient[] = [client],
    private readonly hooks: StoreHooks = {},
  ) {
    this.idleInsertClients = [...insertClients];
    this.settings = cluster ? { ...STORE_SETTINGS, ...CLUSTER_SETTINGS } : STORE_SETTINGS;
    this.budgetSettings = {
      max_execution_time: budget.timeoutSec,
      timeout_overflow_mode: 'throw',
      max_memory_usage: String(budget.maxMemoryBytes),
      max_threads: budget.maxThreads,
    };
    // The embedded connection applies settings with SET, which outlives the statement: commands
    // (migrations, funnel saves) on it clear the query budget instead of inheriting it.
    this.unbudgeted = kind === 'embedded' ? { max_execution_time: 0, max_memory_usage: '0', max_threads: 0 } : {};
  }

  async query<T>(q: SqlFragment, settings?: ClickHouseSettings): Promise<T[]> {
    const { text, params } = render(q);
    const t0 = performance.now();
    try {
      const rs = await this.client.query({ query: text, query_params: params, format: 'JSONEachRow', clickhouse_settings: { ...this.settings, ...this.budgetSettings, ...settings } });
      return await rs.json<T>();
    } catch (err) {
      return wrap(err, this.budgetSettings);
    } finally {
      this.hooks.onQuery?.((performance.now() - t0) / 1000);
    }
  }

  async command(q: SqlFragment, settings?: ClickHouseSettings): Promise<void> {
    const { text, params } = render(q);
    try {
      await this.client.command({ query: text, query_params: params, clickhouse_settings: { ...this.settings, ...this.unbudgeted, ...settings } });
    } catch (err) {
      wrap(err);
    }
  }

  async insertRowBinaryFile(table: string, columns: readonly { name: string; type: string }[], file: string, dedupToken: string): Promise<void> {
    // Table and column names come from the code's own schema constants; the file name from the spool.
    const ident = /^[A-Za-z_][A-Za-z0-9_.]*$/;
    if (!ident.test(table) || !columns.every((c) => ident.test(c.name))) throw new Error('bad insert target');
    if (!SPOOL_FILE.test(file)) throw new Error(`bad spool file name ${JSON.stringify(file)}`);
    if (!/^[A-Za-z0-9._-]+$/.test(dedupToken)) throw new Error(`bad deduplication token ${JSON.stringify(dedupToken)}`);
    const cols = columns.map((c) => `\`${c.name}\``).join(', ');
    // Spans are partitioned by day and a batch may span many days (clients with wrong clocks): the
    // engine's default of 100 partitions per insert block would reject the whole batch.
    const settings = { ...this.settings, insert_deduplication_token: dedupToken, max_partitions_per_insert_block: '0' };
    try {
      if (this.kind === 'embedded') {
        // More inserts at once than connections (the pipeline keeps to its concurrency, so only if
        // misused) share the first, whose statements then run in turn.
        const insertClient = this.idleInsertClients.pop();
        try {
          await (insertClient ?? this.insertClients[0]).command({ query: embeddedInsertSql(table, columns, file, dedupToken), clickhouse_settings: settings });
        } finally {
          if (insertClient) this.idleInsertClients.push(insertClient);
        }
      } else {
        await this.client.exec({
          query: `INSERT INTO ${table} (${cols}) FORMAT RowBinary`,
          values: createReadStream(file),
          clickhouse_settings: settings,
        });
      }
    } catch (err) {
      wrap(err);
    }
  }

  async ping(): Promise<boolean> {
    const r = await this.client.ping();
    return r.success;
  }

  async close(): Promise<void> {
    await this.client.close();
    for (const c of this.insertClients) if (c !== this.client) await c.close();
  }
}

/** Opens the store the configuration names. Prefer `getStore()`, which opens it once per process. */
export async function openStore(config: PayscopeConfig = loadConfig(), hooks: StoreHooks = {}): Promise<Store> {
  if (config.storeKind === 'clickhouse') {
    const client = createClient({
      url: config.clickhouseUrl,
      username: config.clickhouseUser,
      password: config.clickhousePassword,
      database: config.database,
      clickhouse_settings: STORE_SETTINGS,
      request_timeout: 60_000,
      // Failures surface as StoreUnavailableError and are logged once by the caller, not per request.
      log: { level: ClickHouseLogLevel.OFF },
    });
    return new ClickHouseStore('clickhouse', client, config.database, config.cluster, budgetOf(config), [client], hooks);
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  // Loaded lazily: the native engine is ~500 MB and only the embedded store needs it.
  const { createChdbConnection } = await import('chdb/connection');
  const connect = () => {
    try {
      return createChdbConnection({ path: config.dataDir });
    } catch (err) {
      throw new StoreUnavailableError(
        `cannot open the embedded store at ${config.dataDir}: ${(err as Error).message}. ` +
          'Only one process may hold an embedded data directory; stop the other payscope process or set PAYSCOPE_DATA_DIR.',
        { cause: err },
      );
    }
  };
  const client = createClient({ connection: connect() } as Parameters<typeof createClient>[0]);
  const insertClients: ClickHouseClient[] = [];
  try {
    for (let i = 0; i < Math.max(1, config.insertConcurrency); i++) insertClients.push(createClient({ connection: connect() } as Parameters<typeof createClient>[0]));
  } catch (err) {
    for (const c of [client, ...insertClients]) await c.close();
    throw err;
  }
  // The embedded store is private to this process: its tables live in the engine's `default` database.
  return new ClickHouseStore('embedded', client, 'default', '', budgetOf(config), insertClients, hooks);
}

type StoreHolder = { promise?: Promise<Store> };
const holder: StoreHolder = ((globalThis as Record<string, unknown>).__payscopeStore ??= {}) as StoreHolder;

/**
 * The process-wide store. The embedded engine binds one data directory per process, and Next.js may
 * load this module more than once (server bundle and custom server), so the handle lives on globalThis.
 */
export function getStore(): Promise<Store> {
  holder.promise ??= openStore().catch((err) => {
    holder.promise = undefined;
    throw err;
  });
  return holder.promise;
}

/** Installs an already opened store as the process-wide one (the server and tests open it themselves). */
export function setStore(store: Store | undefined): void {
  holder.promise = store ? Promise.resolve(store) : undefined;
}
