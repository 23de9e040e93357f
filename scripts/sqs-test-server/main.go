// Command sqs-test-server serves an SQS-compatible API (goaws) on a
// loopback address, for hookgate's queue destination tests.
// scripts/queue-test-servers.sh builds and starts it.
//
// It is a module of its own so that goaws and its dependencies stay out of
// hookgate's go.mod. goaws v0.4.4 speaks SQS's Query protocol only; the
// tests switch the SDK to it.
//
//	sqs-test-server -addr 127.0.0.1:PORT
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/Admiral-Piett/goaws/app"
	"github.com/Admiral-Piett/goaws/app/gosqs"
	"github.com/Admiral-Piett/goaws/app/router"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	// What goaws's config file would set. No region: goaws would put it in
	// front of the host in queue URLs.
	app.CurrentEnvironment = app.Environment{
		Host:             "127.0.0.1",
		Port:             port,
		AccountID:        "100010001000",
		EnableDuplicates: true, // FIFO queues drop repeated MessageDeduplicationIds
		QueueAttributeDefaults: app.EnvQueueAttributes{
			VisibilityTimeout:  30,
			MaximumMessageSize: 262144,
		},
	}
	go gosqs.PeriodicTasks(time.Second, make(chan struct{}))
	log.Printf("sqs-test-server listening on %s", ln.Addr())
	srv := &http.Server{Handler: router.New(), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}
