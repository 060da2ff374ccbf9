-- The hops' hourly partials per five minutes of the client span's start (Bucket 0–11), so a range
-- that starts or ends inside a computed hour reads at most five minutes of spans there instead of
-- the hour's whole part in the range (lib/queries/hops.ts). Rows written before are of the kind
-- `hops`, which nothing reads any more; the kind with buckets is `hop-edges`.
ALTER TABLE {{LOCAL_AND_DISTRIBUTED:hop_edges_partials}} {{ON_CLUSTER}}
    ADD COLUMN IF NOT EXISTS Bucket UInt8 AFTER Covers;
