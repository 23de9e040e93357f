module github.com/hookgate/hookgate/scripts/sqs-test-server

go 1.26

require github.com/Admiral-Piett/goaws v0.4.4

require (
	github.com/gorilla/mux v1.8.0 // indirect
	github.com/sirupsen/logrus v1.9.0 // indirect
	golang.org/x/sys v0.5.0 // indirect
)
