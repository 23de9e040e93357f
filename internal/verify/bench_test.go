package verify

import (
	"bytes"
	"testing"
)

// BenchmarkVerify verifies a signed 2 KB JSON body with each provider.
func BenchmarkVerify(b *testing.B) {
	body := append([]byte(`{"data":"`), bytes.Repeat([]byte("x"), 2048-11)...)
	body = append(body, `"}`...)
	for _, s := range suites() {
		b.Run(s.provider, func(b *testing.B) {
			o := s.with("secret-A")
			p := newProvider(b, s.provider, o)
			r := signed(b, s.provider, o, body)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Verify(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
