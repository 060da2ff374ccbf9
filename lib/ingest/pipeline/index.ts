export { IngestPipeline, runningPipeline, type PipelineObserver, type PipelineOptions, type PipelineStats } from './pipeline';
export type { PipelineHealth } from './health';
export { OverloadedError, SpansRejectedError } from './errors';
export { classifyInsertError, type InsertErrorKind } from './insert-errors';
