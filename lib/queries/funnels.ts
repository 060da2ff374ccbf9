import crypto from 'node:crypto';
import { DEFAULT_CHECKOUT_FUNNEL, type FunnelDefinition } from '../analytics/funnel';
import { sql } from '../store/sql';
import type { Store } from '../store/store';

/** The id of the built-in checkout funnel (read-only). */
export const DEFAULT_FUNNEL_ID = 'checkout';

export interface SavedFunnel extends FunnelDefinition {
  id: string;
  builtIn: boolean;
  /** ISO 8601; null for the built-in funnel. */
  updatedAt: string | null;
}

export class FunnelNotEditableError extends Error {
  constructor(id: string) {
    super(`funnel ${JSON.stringify(id)} is built in and cannot be changed or deleted`);
    this.name = 'FunnelNotEditableError';
  }
}

const builtIn: SavedFunnel = { ...DEFAULT_CHECKOUT_FUNNEL, id: DEFAULT_FUNNEL_ID, builtIn: true, updatedAt: null };

interface Row {
  id: string;
  name: string;
  definition: string;
  updatedAt: string;
}

function fromRow(r: Row): SavedFunnel {
  const d = JSON.parse(r.definition) as FunnelDefinition;
  return { name: r.name, steps: d.steps, flowKey: d.flowKey, windowSec: d.windowSec, id: r.id, builtIn: false, updatedAt: r.updatedAt };
}

// Versions are ordered by UpdatedAt: never hand out the same millisecond twice in this process.
let lastStamp = 0;
function stamp(): Date {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return new Date(lastStamp);
}

const latest = sql`
  SELECT Id AS id, argMax(Name, UpdatedAt) AS name, argMax(Definition, UpdatedAt) AS definition,
         formatDateTime(max(UpdatedAt), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS updatedAt, argMax(Deleted, UpdatedAt) AS deleted
  FROM payscope_funnels`;

/** The built-in checkout funnel first, then saved funnels by name. */
export async function listFunnels(store: Store): Promise<SavedFunnel[]> {
  const rows = await store.query<Row>(sql`SELECT * FROM (${latest} GROUP BY Id) WHERE deleted = 0 ORDER BY name, id`);
  return [builtIn, ...rows.map(fromRow)];
}

export async function getSavedFunnel(store: Store, id: string): Promise<SavedFunnel | null> {
  if (id === DEFAULT_FUNNEL_ID) return builtIn;
  const rows = await store.query<Row>(sql`SELECT * FROM (${latest} WHERE Id = ${id} GROUP BY Id) WHERE deleted = 0`);
  return rows.length ? fromRow(rows[0]) : null;
}

/** Creates (no id) or replaces (id) a funnel; returns it as stored. */
export async function saveFunnel(store: Store, def: FunnelDefinition & { id?: string }): Promise<SavedFunnel> {
  const id = def.id ?? `f_${crypto.randomBytes(8).toString('hex')}`;
  if (id === DEFAULT_FUNNEL_ID) throw new FunnelNotEditableError(id);
  const definition = JSON.stringify({ steps: def.steps, flowKey: def.flowKey, windowSec: def.windowSec });
  const at = stamp();
  await store.command(sql`INSERT INTO payscope_funnels (Id, Name, Definition, UpdatedAt, Deleted) VALUES (${id}, ${def.name}, ${definition}, ${at}, 0)`);
  return { name: def.name, steps: def.steps, flowKey: def.flowKey, windowSec: def.windowSec, id, builtIn: false, updatedAt: at.toISOString() };
}

/** Deletes a saved funnel; false when there was none with that id. */
export async function deleteFunnel(store: Store, id: string): Promise<boolean> {
  if (id === DEFAULT_FUNNEL_ID) throw new FunnelNotEditableError(id);
  const existing = await getSavedFunnel(store, id);
  if (!existing) return false;
  await store.command(sql`INSERT INTO payscope_funnels (Id, Name, Definition, UpdatedAt, Deleted) VALUES (${id}, ${existing.name}, '', ${stamp()}, 1)`);
  return true;
}
