'use client';
import { useRouter } from 'next/navigation';
import { CartesianGrid, Legend, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { formatMs } from '@/lib/ui/format';
import { tickTime, tickUnit } from './format';

export interface ScatterPoint {
  t: number;
  durationMs: number;
  traceId: string;
  href: string;
  label: string;
}

/** Trace durations over time; errors in red. A point opens its trace. */
export function DurationScatter({ ok, errors, spanMs }: { ok: ScatterPoint[]; errors: ScatterPoint[]; spanMs: number }) {
  const router = useRouter();
  const open = (p: unknown) => {
    const href = (p as { payload?: ScatterPoint })?.payload?.href;
    if (href) router.push(href);
  };
  return (
    <figure className="card" style={{ margin: 0 }} aria-label="Trace durations over time">
      <figcaption className="chart-title">Duration of each trace found (click a point to open it)</figcaption>
      <ScatterChart responsive style={{ width: '100%', height: 230 }} margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
        <CartesianGrid stroke="#eef0f3" />
        <XAxis dataKey="t" type="number" scale="time" domain={['dataMin', 'dataMax']} name="start" tickFormatter={(v: number) => tickTime(v, spanMs)} fontSize={11} minTickGap={24} />
        <YAxis dataKey="durationMs" type="number" name="duration" tickFormatter={(v: number) => tickUnit('ms', v)} fontSize={11} width={52} />
        <Tooltip
          cursor={{ strokeDasharray: '3 3' }}
          content={({ payload }) => {
            const p = payload?.[0]?.payload as ScatterPoint | undefined;
            if (!p) return null;
            return (
              <div className="card small">
                <div><strong>{p.label}</strong></div>
                <div>{formatMs(p.durationMs)} · {tickTime(p.t, Infinity)} UTC</div>
              </div>
            );
          }}
        />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        <Scatter name="ok" data={ok} fill="#3559e0" onClick={open} cursor="pointer" isAnimationActive={false} />
        <Scatter name="error" data={errors} fill="#c62828" onClick={open} cursor="pointer" isAnimationActive={false} />
      </ScatterChart>
    </figure>
  );
}
