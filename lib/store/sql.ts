/**
 * SQL is only ever built with the `sql` tagged template: every interpolated value becomes a typed
 * query parameter (`{p0:String}`) bound by ClickHouse, never text in the statement. The two escape
 * hatches are named so they can be grepped: `ident()` takes identifiers from a fixed allow-list, and
 * `UNSAFE_RAW_SQL()` marks text the code itself wrote (never user or span data).
 */

export interface SqlQuery {
  readonly text: string;
  readonly params: Record<string, unknown>;
}

// Registered symbols: Next.js bundles its own copy of this module next to the server's, and a
// fragment made by one copy must render in the other.
const RAW = Symbol.for('payscope.sql.raw');
interface RawFragment { [RAW]: string }
const TYPED = Symbol.for('payscope.sql.typed');
interface TypedParam { [TYPED]: { value: unknown; type: string } }
const FRAGMENT = Symbol.for('payscope.sql.fragment');
interface Fragment { [FRAGMENT]: { strings: readonly string[]; values: readonly unknown[] } }

/** Text the code wrote itself. Never pass user or span data. */
export function UNSAFE_RAW_SQL(text: string): RawFragment {
  return { [RAW]: text };
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/** An identifier (table, column, database) checked against an allow-list of names the code knows. */
export function ident(name: string, allowed: ReadonlySet<string> | readonly string[]): RawFragment {
  const ok = Array.isArray(allowed) ? allowed.includes(name) : (allowed as ReadonlySet<string>).has(name);
  if (!ok || !IDENT.test(name)) throw new Error(`identifier not allowed: ${JSON.stringify(name)}`);
  return { [RAW]: name.includes('.') ? name.split('.').map((p) => `\`${p}\``).join('.') : `\`${name}\`` };
}

/** A value with an explicit ClickHouse type, e.g. `typed(ms, 'DateTime64(3)')`. */
export function typed(value: unknown, type: string): TypedParam {
  if (!/^[A-Za-z0-9_(), ']+$/.test(type)) throw new Error(`bad parameter type ${JSON.stringify(type)}`);
  return { [TYPED]: { value, type } };
}

/** Joins fragments (e.g. optional WHERE conditions) with a separator the code chose. */
export function join(parts: readonly (Fragment | RawFragment)[], separator: string): Fragment {
  const strings: string[] = [''];
  const values: unknown[] = [];
  parts.forEach((p, i) => {
    if (i > 0) strings[strings.length - 1] += separator;
    values.push(p);
    strings.push('');
  });
  return { [FRAGMENT]: { strings, values } };
}

function inferType(value: unknown): string {
  if (typeof value === 'string') return 'String';
  if (typeof value === 'boolean') return 'Bool';
  if (typeof value === 'bigint') return 'Int64';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`non-finite number parameter: ${value}`);
    return Number.isInteger(value) ? 'Int64' : 'Float64';
  }
  if (value instanceof Date) return 'DateTime64(3)';
  if (Array.isArray(value)) {
    if (value.length === 0 || value.every((v) => typeof v === 'string')) return 'Array(String)';
    if (value.every((v) => typeof v === 'number' && Number.isInteger(v))) return 'Array(Int64)';
    if (value.every((v) => typeof v === 'number')) return 'Array(Float64)';
  }
  throw new Error(`cannot infer a ClickHouse type for parameter ${JSON.stringify(value)}; use typed()`);
}

function bindValue(value: unknown): unknown {
  // DateTime64(3) parameters are bound as epoch seconds with milliseconds, unambiguous in any time zone.
  if (value instanceof Date) return (value.getTime() / 1000).toFixed(3);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export function sql(strings: TemplateStringsArray | readonly string[], ...values: unknown[]): Fragment {
  return { [FRAGMENT]: { strings: [...strings], values } };
}

/** Renders a fragment into statement text and its bound parameters. */
export function render(fragment: Fragment): SqlQuery {
  const params: Record<string, unknown> = {};
  let n = 0;
  const walk = (f: Fragment): string => {
    const { strings, values } = f[FRAGMENT];
    let text = strings[0];
    values.forEach((v, i) => {
      if (v && typeof v === 'object' && RAW in v) text += (v as RawFragment)[RAW];
      else if (v && typeof v === 'object' && FRAGMENT in v) text += walk(v as Fragment);
      else {
        const name = `p${n++}`;
        let type: string;
        let value: unknown;
        if (v && typeof v === 'object' && TYPED in v) ({ value, type } = (v as TypedParam)[TYPED]);
        else { value = v; type = inferType(v); }
        params[name] = bindValue(value);
        text += `{${name}:${type}}`;
      }
      text += strings[i + 1];
    });
    return text;
  };
  return { text: walk(fragment), params };
}

export type { Fragment as SqlFragment };
