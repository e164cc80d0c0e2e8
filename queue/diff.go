package queue

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // renders may come as JPEG
	_ "image/png"
)

// diffGrid is the side of the grid both images are reduced to before comparing: small enough
// to ignore anti-aliasing and sub-pixel shifts, large enough to see a moved block.
const diffGrid = 32

// SignificantChange is the share of visual difference from which a FILE_UPDATE is worth a
// personal notice (0 = identical, 1 = black against white everywhere).
const SignificantChange = 0.03

// Difference compares two rendered frames perceptually: each is reduced to a diffGrid×diffGrid
// grid of mean luminance, and the result is the mean absolute difference of the cells, from 0
// to 1. Frames of different aspect ratios are compared cell by cell all the same.
func Difference(a, b []byte) (float64, error) {
	ga, err := lumaGrid(a)
	if err != nil {
		return 0, err
	}
	gb, err := lumaGrid(b)
	if err != nil {
		return 0, err
	}
	var sum float64
	for i := range ga {
		d := ga[i] - gb[i]
		if d < 0 {
			d = -d
		}
		sum += d
	}
	return sum / float64(len(ga)), nil
}

// lumaGrid decodes an image and averages its luminance (0..1) over a grid of cells. Sampling
// every pixel keeps the result stable for small edits; the cost is one pass over the image.
func lumaGrid(raw []byte) ([]float64, error) {
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("queue: decode preview: %w", err)
	}
	r := img.Bounds()
	if r.Dx() == 0 || r.Dy() == 0 {
		return nil, fmt.Errorf("queue: empty preview")
	}
	sums := make([]float64, diffGrid*diffGrid)
	counts := make([]float64, diffGrid*diffGrid)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		gy := (y - r.Min.Y) * diffGrid / r.Dy()
		for x := r.Min.X; x < r.Max.X; x++ {
			gx := (x - r.Min.X) * diffGrid / r.Dx()
			cr, cg, cb, _ := img.At(x, y).RGBA()
			luma := (0.299*float64(cr) + 0.587*float64(cg) + 0.114*float64(cb)) / 65535
			sums[gy*diffGrid+gx] += luma
			counts[gy*diffGrid+gx]++
		}
	}
	for i := range sums {
		if counts[i] > 0 {
			sums[i] /= counts[i]
		}
	}
	return sums, nil
}
