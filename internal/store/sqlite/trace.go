package sqlite

import _ "embed"

// schemaTrace is migration 5: events.traceparent (see Event.TraceParent).
//
//go:embed schema_trace.sql
var schemaTrace string
