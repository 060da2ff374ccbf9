-- The hops' hourly partials per five minutes of the client span's start (Bucket 0–11), so a range
-- that starts or ends inside a computed hour reads at most five minutes of spans there instead of
-- the hour's whole part in the range; and per the payment channels and raw gateway inputs
-- (payment.gateway, peer host) of the payment stage spans in the call's window of its trace, so a
-- channel or gateway filter reads partials too (lib/queries/hops.ts). Rows written before are of the
-- kind `hops`, which nothing reads any more; the kind with these columns is `hop-edges-by-payment`.
ALTER TABLE {{LOCAL_AND_DISTRIBUTED:hop_edges_partials}} {{ON_CLUSTER}}
    ADD COLUMN IF NOT EXISTS Bucket UInt8 AFTER Covers,
    ADD COLUMN IF NOT EXISTS Channels Array(LowCardinality(String)) AFTER Callee,
    ADD COLUMN IF NOT EXISTS Gateways Array(Tuple(String, String)) AFTER Channels;
