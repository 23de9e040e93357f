// Package reply writes hookgate's HTTP answers: JSON bodies, and errors as a
// stable machine code plus a message that is safe to show the client (never a
// secret, a signature or internal detail; those go to the logs).
package reply

import (
	"encoding/json"
	"net/http"
)

// ErrorBody is the JSON shape of every error answer:
//
//	{"error":{"code":"signature_invalid","message":"signature mismatch"}}
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	// Code is stable and meant for programs ("unknown_source", ...).
	Code string `json:"code"`
	// Message is meant for people.
	Message string `json:"message"`
}

// JSON writes v as a JSON answer with the given status.
func JSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"could not encode the answer"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// Error writes an error answer.
func Error(w http.ResponseWriter, status int, code, message string) {
	JSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: message}})
}
