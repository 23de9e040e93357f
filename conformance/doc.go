// Package conformance checks hookgate's provider presets against requests
// signed by the providers' own SDKs.
//
// gen.mjs (Node) signs a corpus of cases with the official npm packages
// pinned in package-lock.json: valid deliveries, tampered bodies, wrong
// secrets, stale timestamps, handshakes and raw-body traps, each confirmed by
// the SDK's own verifier. conformance_test.go builds the hookgate binary,
// serves one source per case config, replays every case over real HTTP and
// compares the answers. See README.md for how to run it and what it proves.
//
// The package holds no code beyond its test: it only exists so that go test
// finds the suite.
package conformance
