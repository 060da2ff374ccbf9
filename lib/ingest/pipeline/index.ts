export { IngestPipeline, runningPipeline, type PipelineHealth, type PipelineObserver, type PipelineOptions, type PipelineStats } from './pipeline';
export { OverloadedError, SpansRejectedError } from './errors';
export { classifyInsertError, type InsertErrorKind } from './insert-errors';
