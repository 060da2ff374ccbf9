'use client';
import { Bar, BarChart, CartesianGrid, Cell, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import { formatUnit, tickUnit, type Unit } from './format';

/**
 * Horizontal bars: one row per item (a funnel step, a gateway), one bar per value key; with
 * `colorByItem` the first key's bars take each item's own colour.
 */
export function BarsChart({ title, data, bars, unit, height, labelWidth = 130, colorByItem = false }: {
  title: string;
  data: { label: string; color?: string; [k: string]: number | string | null | undefined }[];
  bars: { key: string; name: string; color: string }[];
  unit: Unit;
  height?: number;
  labelWidth?: number;
  /** Colour the first key's bars by item (`color`). */
  colorByItem?: boolean;
}) {
  const h = height ?? Math.max(120, data.length * (bars.length > 1 ? 44 : 30) + 40);
  return (
    <figure className="card" style={{ margin: 0 }} aria-label={title}>
      <figcaption className="chart-title">{title}</figcaption>
      <BarChart responsive layout="vertical" style={{ width: '100%', height: h }} data={data} margin={{ top: 4, right: 16, bottom: 0, left: 0 }}>
        <CartesianGrid stroke="#eef0f3" horizontal={false} />
        <XAxis type="number" tickFormatter={(v: number) => tickUnit(unit, v)} fontSize={11} />
        <YAxis type="category" dataKey="label" width={labelWidth} fontSize={11} interval={0} />
        <Tooltip formatter={(v) => formatUnit(unit, typeof v === 'number' ? v : null)} />
        {bars.length > 1 && <Legend wrapperStyle={{ fontSize: 12 }} />}
        {bars.map((b, i) => (
          <Bar key={b.key} dataKey={b.key} name={b.name} fill={b.color} isAnimationActive={false} barSize={bars.length > 1 ? 12 : 16}>
            {i === 0 && colorByItem && data.map((d) => <Cell key={d.label} fill={d.color ?? b.color} />)}
          </Bar>
        ))}
      </BarChart>
    </figure>
  );
}
