-- Fewer, larger merges of the tables the span table's materialized views fill at every insert (issue
-- 13), as 0010 did for the span table: a merge takes about 10 parts of similar size instead of 5, so
-- under sustained ingest each row is rewritten fewer times. In bench/ingest-engine.ts (40 inserts of
-- 4,000 spans, variant `merge_selector_base 10` against `base` with 0010 in both, six interleaved
-- pairs) the merges of all tables cost 11.1–13.4 µs of CPU per span instead of 13.7–15.8, lower in
-- every pair; in three of the pairs the engine counted 40–42 merges of 0.74–0.84M rows instead of
-- 74–75 of 1.31–1.41M, with 29–49 parts left afterwards against 39–40 (work saved, not put off).
-- More parts of the newest data are alive between merges.
ALTER TABLE {{TABLE:payment_stage_events}} {{ON_CLUSTER}} MODIFY SETTING merge_selector_base = 10;
ALTER TABLE {{TABLE:payment_order_traces}} {{ON_CLUSTER}} MODIFY SETTING merge_selector_base = 10;
ALTER TABLE {{TABLE:gateway_calls}} {{ON_CLUSTER}} MODIFY SETTING merge_selector_base = 10;
ALTER TABLE {{TABLE:hop_spans}} {{ON_CLUSTER}} MODIFY SETTING merge_selector_base = 10;
ALTER TABLE {{TABLE:hop_sample_spans}} {{ON_CLUSTER}} MODIFY SETTING merge_selector_base = 10;
ALTER TABLE {{TABLE:payment_attempts}} {{ON_CLUSTER}} MODIFY SETTING merge_selector_base = 10;
ALTER TABLE {{TABLE:transaction_phases}} {{ON_CLUSTER}} MODIFY SETTING merge_selector_base = 10;
ALTER TABLE {{TABLE:otel_traces_trace_id_ts}} {{ON_CLUSTER}} MODIFY SETTING merge_selector_base = 10;
ALTER TABLE {{TABLE:span_hours}} {{ON_CLUSTER}} MODIFY SETTING merge_selector_base = 10;
ALTER TABLE {{TABLE:attribute_sample_spans}} {{ON_CLUSTER}} MODIFY SETTING merge_selector_base = 10;
ALTER TABLE {{TABLE:hop_sample_payments}} {{ON_CLUSTER}} MODIFY SETTING merge_selector_base = 10;
