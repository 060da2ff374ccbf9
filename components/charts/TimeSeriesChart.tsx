'use client';
import { CartesianGrid, Legend, Line, LineChart, ReferenceArea, Tooltip, XAxis, YAxis } from 'recharts';
import { formatUnit, tickTime, tickUnit, type Unit } from './format';

export interface Series {
  key: string;
  name: string;
  color: string;
}

/** Lines over time, one per series (a channel, or all channels), values in one unit. */
/** A stretch of time to mark on the chart: an alert firing from `from` to `to` (null: still firing). */
export interface ChartMarker {
  from: number;
  to: number | null;
  label: string;
  severity: string;
}

const MARKER_COLORS: Record<string, string> = { critical: '#d93025', warning: '#e37400', info: '#5f6368' };

export function TimeSeriesChart({ title, data, series, unit, spanMs, height = 220, markers = [] }: {
  title: string;
  /** `t` (epoch ms) and one value per series key. */
  data: Record<string, number | null>[];
  series: Series[];
  unit: Unit;
  spanMs: number;
  height?: number;
  /** Firing alerts, shaded behind the lines. */
  markers?: ChartMarker[];
}) {
  const last = data.length ? Number(data[data.length - 1].t) : 0;
  return (
    <figure className="card" style={{ margin: 0 }} aria-label={title}>
      <figcaption className="chart-title">{title}</figcaption>
      <LineChart responsive style={{ width: '100%', height }} data={data} margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
        <CartesianGrid stroke="#eef0f3" vertical={false} />
        <XAxis dataKey="t" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={(v: number) => tickTime(v, spanMs)} fontSize={11} minTickGap={24} />
        <YAxis tickFormatter={(v: number) => tickUnit(unit, v)} fontSize={11} width={48} domain={unit === 'pct' ? [0, 1] : [0, 'auto']} />
        <Tooltip
          labelFormatter={(v) => `${tickTime(Number(v), Infinity)} UTC`}
          formatter={(v) => formatUnit(unit, typeof v === 'number' ? v : null)}
        />
        {series.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
        {markers.map((m) => (
          <ReferenceArea key={`${m.label}${m.from}`} x1={m.from} x2={m.to ?? last} fill={MARKER_COLORS[m.severity] ?? MARKER_COLORS.info} fillOpacity={0.12} ifOverflow="hidden" label={{ value: m.label, position: 'insideTopLeft', fontSize: 10 }} />
        ))}
        {series.map((s) => (
          <Line key={s.key} dataKey={s.key} name={s.name} stroke={s.color} dot={false} strokeWidth={2} connectNulls={unit !== 'count'} isAnimationActive={false} />
        ))}
      </LineChart>
    </figure>
  );
}
