// Package deliver moves stored events to their destinations: lease, send,
// record.
//
// A Worker runs three kinds of goroutines:
//
//   - The lease loop (runOnce, repeated). It claims due deliveries from the
//     store with Store.LeaseEach, for each destination as many as its pool
//     has room for (up to Batch), each for LeaseFor, loads their events (once
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
// The loop never blocks on a destination: it leases for each destination
// no more than that destination's free queue slots (Store.LeaseEach, oldest
// due first within each destination), so a slow destination holds at most
// 2×Concurrency deliveries in memory (in flight plus waiting), and its
// backlog neither fills the lease nor holds back what is due elsewhere.
// Should a delivery still find its destination's queue full (the safety
// net), it is parked: the worker keeps the lease without acting on it, and
// the delivery becomes due again when the lease expires (or at once, if
// Stop releases it first). Until the store leased per destination, one
// lease across destinations let an idle destination's room bring in a busy
// one's backlog, which then sat parked for the whole lease.
//
// An attempt starts only if its lease outlives the attempt's Timeout; a
// delivery that waited too long in its queue is parked instead, so no
// request is sent whose outcome could no longer be recorded.
//
// # Flow control
//
// Each destination may be paused, rate limited and guarded by a circuit
// breaker (flow.go, gate.go). They act when deliveries are handed out, so
// that what a destination cannot take is not leased, or not kept leased:
//
//   - The lease loop counts a pool's room as its free queue slots bounded by
//     flow control: none while paused or while the circuit is open, one
//     while it is half-open (the probe), the whole tokens in the rate
//     limiter's bucket. Each destination is thus leased only what it can
//     send now, and the loop wakes when one can send more (the next token,
//     the end of an open circuit).
//   - A delivery admitted to the queue may still find its destination
//     unable to take it (a rate limit or circuit that changed since the
//     lease, a half-open probe already out). Those are given back with
//     Release, due when it can: when the circuit half-opens (or, while a
//     probe is out, after one Timeout), or at the rate limiter's next free
//     slot (each one taken moves it on, so a backlog is spread out at the
//     rate). A delivery of a destination paused meanwhile is held instead
//     (the lease kept, not acted on) and given back at once by Resume. No
//     attempt is spent on any of them.
//   - Just before an attempt, a queued delivery is checked again: a
//     destination paused, or a circuit opened, while it waited in the queue
//     holds it back the same way.
//   - A destination that needs a peer (a listen destination, see Presence)
//     is offline while none is connected: its deliveries are held as if it
//     were paused, and given back at once when it comes online. An attempt
//     whose result wraps destination.ErrUnavailable (the peer left before
//     answering) records nothing: the delivery is given back, due shortly.
//
// The rate limiter is a token bucket (golang.org/x/time/rate) read at the
// worker's clock. The circuit breaker counts retryable failures: it opens
// after Failures in a row or a failure Ratio over the last Window attempts,
// stays open for OpenFor, then lets one probe through: a success closes it,
// a failure opens it again. Pause and Resume are in memory, for the
// management API; Target.Paused is the configured start.
//
// # Outcomes
//
// 2xx succeeds. No answer (timeout, refused) and the policy's retry
// statuses (by default 408, 429 and 5xx) are retried after a full-jitter
// backoff (longer if the destination sent Retry-After, never past the
// policy's Max) until MaxAttempts, then the delivery is dead. Any other
// status (3xx, 4xx) is dead at once: the same request would get the same
// answer. With MaxAge, no attempt starts later than MaxAge after the
// delivery's budget began: a retry that would come later makes it dead at
// once, and a delivery leased later is made dead with an attempt record
// that says so, without being sent. With DisableOn410, a 410 Gone kills
// the delivery and pauses the destination (logged as an error).
//
// Dead deliveries keep their attempts and can be retried by hand: a retry
// gives a fresh budget (the policy counts the attempts since AttemptBase,
// and MaxAge from RetriedAt), while attempt numbers go on growing.
//
// Every attempt records what was sent (method, URL, headers) and what came
// back (status, headers, the start of the body), with credentials and
// signatures redacted: user info in URLs, and the values of headers and
// query parameters whose names look secret (record.go).
//
// A delivery for a destination that is not configured (removed from the
// config, or configured on another node only, in the middle of a rolling
// deploy) is leased at most once a minute (and at the first round after a
// reload), since finding those means reading past every configured
// destination's due deliveries. It gets a failed attempt "destination not
// configured" and stays
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
// # Reloading
//
// SetTargets swaps the destinations of a running worker between two lease
// rounds (a config reload): unchanged targets keep their pools, new ones
// start, and replaced or removed ones are retired: they finish what they
// hold, then their destinations are closed (swap.go).
//
// # Stopping
//
// Stop stops leasing, lets attempts in flight finish until its context is
// done, then cancels the rest. Outcomes of finished attempts are written;
// deliveries that were leased but not attempted (queued, parked, or cut
// short by the deadline) are released, due at once, so another worker or
// the next start picks them up without waiting for their leases to expire.
package deliver
