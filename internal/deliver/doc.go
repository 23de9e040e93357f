// Package deliver moves stored events to their destinations: lease, send,
// record.
//
// A Worker runs three kinds of goroutines:
//
//   - The lease loop (runOnce, repeated). It claims up to Batch due
//     deliveries from the store, each for LeaseFor, loads their events (once
//     per event per batch: an event routed to three destinations is read
//     once) and hands each delivery to its destination's pool. It runs again
//     at once when it claimed a full batch, when Notify is called (the
//     ingest path does so after each commit), when a pool that was full
//     frees a slot, and otherwise every Poll (retries coming due, leases
//     that expired elsewhere).
//   - One pool per destination: Concurrency goroutines fed by a queue of
//     Concurrency waiting deliveries. A goroutine attempts one delivery at a
//     time with the destination's Timeout, turns the result into an
//     attempt record and the delivery's next state (Policy.Next), and passes
//     that on.
//   - The collector, which writes outcomes back with store.Complete in
//     batches: it takes every outcome waiting, writes them in one call, and
//     while that call runs the next batch piles up (group commit: one write
//     per outcome at low load, large batches under load, no timer).
//
// # Backpressure
//
// The store leases oldest-due first, across all destinations. A loop that
// blocked on a full destination would stall every other one behind it, so
// the loop never blocks: it leases no more than the free queue slots of all
// pools, and a leased delivery whose destination's queue is full is parked,
// not queued: the worker keeps the lease without acting on it, and the
// delivery becomes due again when the lease expires (or at once, if Stop
// releases it first). A slow destination thus holds at most 2×Concurrency
// deliveries in memory (in flight plus waiting), and the loop keeps leasing
// past its backlog to reach other destinations' work. The cost is that a
// saturated destination's backlog is leased again once per LeaseFor;
// filtering saturated destinations out in Store.Lease would remove it.
//
// An attempt starts only if its lease outlives the attempt's Timeout; a
// delivery that waited too long in its queue is parked instead, so no
// request is sent whose outcome could no longer be recorded.
//
// # Outcomes
//
// 2xx succeeds. No answer (timeout, refused), 408, 429 and 5xx are retried
// after a full-jitter backoff (longer if the destination sent Retry-After,
// never past the policy's Max) until MaxAttempts, then the delivery is dead.
// Any other status (3xx, 4xx) is dead at once: the same request would get
// the same answer. Dead deliveries keep their attempts and can be retried by
// hand.
//
// A delivery for a destination that is not configured (removed from the
// config, or configured on another node only, in the middle of a rolling
// deploy) gets a failed attempt "destination not configured" and stays
// pending, due again after the default policy's backoff ceiling (1s, 2s, 4s,
// ... up to an hour). It is never made dead from here: removing a
// destination by mistake must not throw its deliveries away.
//
// # Failures
//
// Nothing here crashes the worker or loses a delivery. A failed Lease backs
// the loop off (Poll, doubling, up to 30s). An event that cannot be loaded
// leaves its delivery parked until its lease expires, then it is tried
// again. A failed Complete is retried a few times, then given up: the
// deliveries are attempted again when their leases expire (delivery is at
// least once; receivers dedup on Webhook-Id). A destination that panics
// counts as a failed attempt.
//
// # Stopping
//
// Stop stops leasing, lets attempts in flight finish until its context is
// done, then cancels the rest. Outcomes of finished attempts are written;
// deliveries that were leased but not attempted (queued, parked, or cut
// short by the deadline) are released, due at once, so another worker or
// the next start picks them up without waiting for their leases to expire.
package deliver
