// Package bench measures hookgate's durable-ingest throughput and latency
// next to two reference handlers, measured the same way in the same run.
//
// A requests/s figure alone says little: it depends on the machine, the
// kernel, the disk and whatever else runs there. So Run's figures for
// hookgate are read against two bounds taken on the same machine, with the
// same load generator, connections, body size and duration:
//
//   - The HTTP ceiling (Ceiling): a bare net/http handler that reads the body
//     and answers 202. No server in Go does less per request, so nothing
//     built on net/http can go faster; the gap to it is what hookgate's own
//     work costs (routing, verification, dedup, the store).
//   - The durable floor (Floor): the least a server can do and still promise
//     that an acknowledged body survives a crash: append it to a file and
//     answer only after an fdatasync that covers the write, with concurrent
//     requests sharing one fdatasync (group commit). It is the floor of the
//     cost of durability, and so the ceiling for any fsync-before-ack server:
//     hookgate aims at half of it or better.
//
// Measuring all three in one run, one after the other, keeps the comparison
// honest: figures taken on another day, another disk, or with another load
// generator are not comparable, and a ratio to references measured alongside
// survives a change of machine where an absolute number does not.
//
// The load generator runs in Go on the same machine as the server, so it
// takes a share of the CPU; that share is the same for all three, and the
// ratios stay meaningful even where the absolute figures are lower than a
// C load generator such as wrk would show.
//
// Each server, the references included, has to run in a process of its own,
// as hookgate does. Served from inside the load generator's process, a
// reference shares its runtime (scheduler, garbage collector, GOMAXPROCS)
// with the load; measured that way the floor came out 10-25% slower than from
// its own process, which flatters hookgate's ratio to it. Ceiling, Floor and
// Serve are the building blocks; `hookgate bench --references` serves each
// reference from a child process of its own.
package bench
