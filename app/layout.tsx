import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { Suspense } from 'react';
import { Nav } from '@/components/Nav';
import { TimeRangePicker } from '@/components/TimeRangePicker';
import { AutoRefresh } from '@/components/AutoRefresh';
import { NavigationProgress } from '@/components/NavigationProgress';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'payscope', template: '%s · payscope' },
  description: 'Where a payment spends its time, and which hop or gateway is failing it.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Suspense>
          <NavigationProgress />
        </Suspense>
        <header className="topbar">
          <a href="/" className="brand">payscope</a>
          <Suspense>
            <Nav />
            <div className="controls">
              <TimeRangePicker />
              <AutoRefresh />
            </div>
          </Suspense>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
