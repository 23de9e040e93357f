package verify

import (
	"bytes"
	"testing"
)

// BenchmarkVerify verifies a signed 2 KB JSON body with each provider.
func BenchmarkVerify(b *testing.B) {
	body := append([]byte(`{"data":"`), bytes.Repeat([]byte("x"), 2048-11)...)
	body = append(body, `"}`...)
	for _, h := range harnesses() {
		b.Run(h.name, func(b *testing.B) {
			p := h.provider(b, "secret-A")
			r := h.sign(b, "secret-A", body, testNow())
			b.SetBytes(int64(len(r.Body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Verify(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
