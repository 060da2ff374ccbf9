'use client';
import dynamic from 'next/dynamic';

/**
 * The charts, loaded after the page is interactive: recharts is most of the dashboard's JavaScript,
 * and every number a chart shows is also on the page as text, so the numbers paint first.
 */
function placeholder(height: number) {
  return function ChartPlaceholder() {
    return <div className="card skeleton" style={{ height: height + 34 }} aria-hidden="true" />;
  };
}

export const TimeSeriesChart = dynamic(() => import('./TimeSeriesChart').then((m) => m.TimeSeriesChart), { ssr: false, loading: placeholder(220) });
export const BarsChart = dynamic(() => import('./BarsChart').then((m) => m.BarsChart), { ssr: false, loading: placeholder(200) });
export const DurationScatter = dynamic(() => import('./DurationScatter').then((m) => m.DurationScatter), { ssr: false, loading: placeholder(230) });
