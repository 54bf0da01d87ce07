package bufs

import "testing"

func TestSizedReusesWhatFits(t *testing.T) {
	s := make([]float32, 4, 16)
	if got := Sized(s, 10); len(got) != 10 || &got[0] != &s[0] {
		t.Fatalf("Sized(len 4 cap 16, 10): len %d, reallocated %v", len(got), &got[0] != &s[0])
	}
	if got := Sized(s, 17); len(got) != 17 || cap(got) < 17 {
		t.Fatalf("Sized(cap 16, 17): len %d cap %d", len(got), cap(got))
	}
}

func TestPoolLendsTheLengthAsked(t *testing.T) {
	var p Pool[byte]
	b := p.Get(100)
	if len(*b) != 100 {
		t.Fatalf("Get(100): len %d", len(*b))
	}
	p.Put(b)
	if b := p.Get(3); len(*b) != 3 {
		t.Fatalf("Get(3): len %d", len(*b))
	}
}

func TestGrowDoublesUpToTheLimit(t *testing.T) {
	s := Grow(make([]int, 0, 4), []int{1, 2, 3, 4, 5}, 100)
	if len(s) != 5 || cap(s) != 8 || s[4] != 5 {
		t.Fatalf("Grow(cap 4, 5 values): len %d cap %d %v", len(s), cap(s), s)
	}
	s = Grow(s[:5], []int{6, 7, 8, 9}, 10)
	if len(s) != 9 || cap(s) != 10 || s[8] != 9 || s[0] != 1 {
		t.Fatalf("Grow(cap 8, 4 more, limit 10): len %d cap %d %v", len(s), cap(s), s)
	}
}
