import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: 'payscope',
  description: 'Where a payment spends its time, and which hop or gateway is failing it.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <a href="/" className="brand">payscope</a>
        </header>
        <main>{children}</main>
      </body>
    </html>
  );
}
