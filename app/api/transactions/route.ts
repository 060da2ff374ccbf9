import { apiRoute } from '@/lib/api/handler';
import { transactions, TransactionsQuery } from '@/lib/api/transactions';

export const dynamic = 'force-dynamic';

/** GET /api/transactions?from&to&slaSec&limit: TCC/Saga anomalies, counted per kind, listed per transaction, branch and kind. */
export const GET = apiRoute({ query: TransactionsQuery }, transactions);
