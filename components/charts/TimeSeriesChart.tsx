'use client';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { formatUnit, tickTime, tickUnit, type Unit } from './format';

export interface Series {
  key: string;
  name: string;
  color: string;
}

/** Lines over time, one per series (a channel, or all channels), values in one unit. */
export function TimeSeriesChart({ title, data, series, unit, spanMs, height = 220 }: {
  title: string;
  /** `t` (epoch ms) and one value per series key. */
  data: Record<string, number | null>[];
  series: Series[];
  unit: Unit;
  spanMs: number;
  height?: number;
}) {
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
        {series.map((s) => (
          <Line key={s.key} dataKey={s.key} name={s.name} stroke={s.color} dot={false} strokeWidth={2} connectNulls={unit !== 'count'} isAnimationActive={false} />
        ))}
      </LineChart>
    </figure>
  );
}
