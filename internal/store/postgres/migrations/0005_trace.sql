-- hookgate schema: the trace context of each event.
-- The same column as the SQLite engine's schema_trace.sql (migration 5).
--
-- traceparent is the W3C traceparent of the span that received the event,
-- NULL when tracing was off: delivery attempts, made later and maybe on
-- another node, continue that trace. A nullable column without a default
-- is added without rewriting the table.
ALTER TABLE events ADD COLUMN traceparent text;
