package config

import (
	"cmp"
	"time"
)

// SetDefaults fills every field left at its zero value with its default, as
// documented on the field. Parse calls it; a config built in code should call
// it before Validate. It is idempotent.
func (c *Config) SetDefaults() {
	c.Listen = cmp.Or(c.Listen, ":8080")

	c.Storage.Driver = cmp.Or(c.Storage.Driver, "sqlite")
	if c.Storage.Driver == "sqlite" {
		c.Storage.Path = cmp.Or(c.Storage.Path, "./data/hookgate.db")
	}

	s := &c.Server
	s.ReadHeaderTimeout = cmp.Or(s.ReadHeaderTimeout, Duration(5*time.Second))
	s.ReadTimeout = cmp.Or(s.ReadTimeout, Duration(30*time.Second))
	s.WriteTimeout = cmp.Or(s.WriteTimeout, Duration(30*time.Second))
	s.IdleTimeout = cmp.Or(s.IdleTimeout, Duration(120*time.Second))
	s.ShutdownTimeout = cmp.Or(s.ShutdownTimeout, Duration(30*time.Second))
	s.MaxHeaderBytes = cmp.Or(s.MaxHeaderBytes, 64*KiB)
	c.setTLSDefaults()

	dl := &c.Delivery
	dl.Batch = cmp.Or(dl.Batch, 128)
	dl.Lease = cmp.Or(dl.Lease, Duration(time.Minute))
	dl.Poll = cmp.Or(dl.Poll, Duration(time.Second))

	c.Log.Level = cmp.Or(c.Log.Level, "info")
	c.Log.Format = cmp.Or(c.Log.Format, "json")
	setAPIDefaults(&c.API)
	setRetentionDefaults(&c.Retention)
	setObserveDefaults(&c.Metrics, &c.Tracing)

	for i := range c.Sources {
		src := &c.Sources[i]
		src.MaxBody = cmp.Or(src.MaxBody, MiB)
		setAuthDefaults(src.Auth)
		if h := src.HMAC; h != nil {
			h.Algorithm = cmp.Or(h.Algorithm, "sha256")
			h.Encoding = cmp.Or(h.Encoding, "hex")
		}
	}

	for i := range c.Destinations {
		d := &c.Destinations[i]
		if d.URL != "" {
			d.Type = cmp.Or(d.Type, "http")
		}
		if d.Type == "http" {
			d.Method = cmp.Or(d.Method, "POST")
		}
		d.Timeout = cmp.Or(d.Timeout, Duration(10*time.Second))
		setListenDefaults(d) // before the common concurrency default
		d.Concurrency = cmp.Or(d.Concurrency, 16)
		d.Retry.MaxAttempts = cmp.Or(d.Retry.MaxAttempts, 8)
		d.Retry.Initial = cmp.Or(d.Retry.Initial, Duration(time.Second))
		d.Retry.Max = cmp.Or(d.Retry.Max, Duration(time.Hour))
		setQueueDefaults(d)
		setDestinationDefaults(d, c.Delivery.SSRFGuard)
		setFlowDefaults(d)
	}
}
