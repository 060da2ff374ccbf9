export { runFuzz } from './run-fuzz';
export { formatReport } from './report';
export { DEFAULTS } from './model';
export type { FuzzFailure, FuzzOptions, FuzzResult, KindStats } from './model';
