package queue

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// frame draws a white frame with a dark block at (x, y) of size w×h.
func frame(t testing.TB, x, y, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 480))
	for py := 0; py < 480; py++ {
		for px := 0; px < 320; px++ {
			c := color.RGBA{255, 255, 255, 255}
			if px >= x && px < x+w && py >= y && py < y+h {
				c = color.RGBA{20, 20, 60, 255}
			}
			img.Set(px, py, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDifferenceThreshold(t *testing.T) {
	base := frame(t, 40, 40, 120, 60)
	tests := []struct {
		name        string
		other       []byte
		significant bool
	}{
		{"same render", frame(t, 40, 40, 120, 60), false},
		{"block moved by two pixels", frame(t, 42, 40, 120, 60), false},
		{"block one pixel wider", frame(t, 40, 40, 121, 60), false},
		{"block moved to the bottom", frame(t, 40, 380, 120, 60), true},
		{"a new large block", frame(t, 0, 0, 320, 240), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Difference(base, tc.other)
			if err != nil {
				t.Fatal(err)
			}
			if got := d >= SignificantChange; got != tc.significant {
				t.Errorf("difference %.4f: significant = %v, want %v", d, got, tc.significant)
			}
		})
	}
}

func TestDifferenceRefusesNonImages(t *testing.T) {
	if _, err := Difference([]byte("not a png"), frame(t, 0, 0, 1, 1)); err == nil {
		t.Error("Difference accepted bytes that are not an image")
	}
}

func BenchmarkDifference(b *testing.B) {
	a, c := frame(b, 40, 40, 120, 60), frame(b, 40, 380, 120, 60)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Difference(a, c); err != nil {
			b.Fatal(err)
		}
	}
}
