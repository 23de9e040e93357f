-- hookgate schema: the trace context of each event (migration 5).
-- The same column as the PostgreSQL engine's 0005_trace.sql.
--
-- traceparent is the W3C traceparent of the span that received the event,
-- NULL when tracing was off: delivery attempts, made later and maybe on
-- another node, continue that trace. Adding a nullable column without a
-- default rewrites nothing.
ALTER TABLE events ADD COLUMN traceparent TEXT;
