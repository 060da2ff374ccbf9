-- Fewer, larger merges of the span table (issue 13): a merge takes about 10 parts of similar size
-- instead of 5, so under sustained ingest each span is rewritten fewer times. In bench/ingest-engine.ts
-- (40 inserts of 4,000 spans, two runs each) the merges of all tables cost 12.1 and 13.8 µs of CPU per
-- span instead of 18.5 and 19.5, with 1 part of otel_traces left afterwards instead of 3 and 6. More
-- parts of the newest data are alive between merges.
ALTER TABLE {{TABLE:otel_traces}} {{ON_CLUSTER}} MODIFY SETTING merge_selector_base = 10;
