// Package gguf reads and writes GGUF files (versions 2 and 3), the model
// format of llama.cpp and Ollama: typed metadata, tensor infos and aligned
// tensor data, with ggml's block layouts for quantized types.
//
// Parse checks every length, count, shape and offset against the file
// before it allocates anything, so a truncated or lying file is an error
// naming what was wrong, never a panic or an out-of-memory. Tensor data is
// viewed in place (memory-map the file and pass the mapping).
package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// Magic is the first four bytes of a GGUF file.
const Magic = "GGUF"

// ErrFormat is wrapped by every error about a file's content.
var ErrFormat = errors.New("invalid GGUF file")

// ValueType is the type of a metadata value.
type ValueType uint32

// Metadata value types.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

// fixedSize is the encoded size of a scalar value type (0: not fixed).
func (t ValueType) fixedSize() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// KV is one metadata entry. Value holds uint8, int8, uint16, int16, uint32,
// int32, float32, bool, string, uint64, int64, float64, or for arrays a
// slice of one of those ([]string, []float32, []int32, ...) or []any for
// arrays of arrays.
type KV struct {
	Key   string
	Type  ValueType
	Value any
}

// TensorInfo describes one tensor. Dims are ggml's order: Dims[0] is the
// length of a row (the innermost dimension).
type TensorInfo struct {
	Name   string
	Dims   []uint64
	Type   Type
	Offset uint64 // from the start of the data section
	Size   uint64 // bytes
}

// Elements is the number of elements.
func (t *TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Dims {
		n *= d
	}
	return n
}

// File is a parsed GGUF file.
type File struct {
	Version   uint32
	KV        []KV
	Tensors   []TensorInfo
	Alignment uint64
	// DataOffset is where the data section starts in the file.
	DataOffset uint64

	data    []byte
	kvIndex map[string]int
	tIndex  map[string]int
}

// Limits on what a header may claim, far above any real model.
const (
	maxKeyLen     = 1 << 16
	maxStringLen  = 64 << 20
	maxDims       = 4
	maxArrayDepth = 4
)

type reader struct {
	b   []byte
	off uint64
}

func (r *reader) need(n uint64, what string) error {
	if n > uint64(len(r.b))-r.off {
		return fmt.Errorf("%w: %s needs %d bytes at offset %d, the file has %d left (truncated?)", ErrFormat, what, n, r.off, uint64(len(r.b))-r.off)
	}
	return nil
}

func (r *reader) u8(what string) (uint8, error) {
	if err := r.need(1, what); err != nil {
		return 0, err
	}
	r.off++
	return r.b[r.off-1], nil
}

func (r *reader) u16(what string) (uint16, error) {
	if err := r.need(2, what); err != nil {
		return 0, err
	}
	r.off += 2
	return binary.LittleEndian.Uint16(r.b[r.off-2:]), nil
}

func (r *reader) u32(what string) (uint32, error) {
	if err := r.need(4, what); err != nil {
		return 0, err
	}
	r.off += 4
	return binary.LittleEndian.Uint32(r.b[r.off-4:]), nil
}

func (r *reader) u64(what string) (uint64, error) {
	if err := r.need(8, what); err != nil {
		return 0, err
	}
	r.off += 8
	return binary.LittleEndian.Uint64(r.b[r.off-8:]), nil
}

func (r *reader) str(what string, limit uint64) (string, error) {
	n, err := r.u64(what + " length")
	if err != nil {
		return "", err
	}
	if n > limit {
		return "", fmt.Errorf("%w: %s claims %d bytes (limit %d)", ErrFormat, what, n, limit)
	}
	if err := r.need(n, what); err != nil {
		return "", err
	}
	r.off += n
	return string(r.b[r.off-n : r.off]), nil
}

func (r *reader) scalar(t ValueType, what string) (any, error) {
	switch t {
	case TypeUint8:
		return r.u8(what)
	case TypeInt8:
		v, err := r.u8(what)
		return int8(v), err
	case TypeUint16:
		return r.u16(what)
	case TypeInt16:
		v, err := r.u16(what)
		return int16(v), err
	case TypeUint32:
		return r.u32(what)
	case TypeInt32:
		v, err := r.u32(what)
		return int32(v), err
	case TypeFloat32:
		v, err := r.u32(what)
		return math.Float32frombits(v), err
	case TypeBool:
		v, err := r.u8(what)
		if err == nil && v > 1 {
			return nil, fmt.Errorf("%w: %s: bool byte %d", ErrFormat, what, v)
		}
		return v == 1, err
	case TypeUint64:
		return r.u64(what)
	case TypeInt64:
		v, err := r.u64(what)
		return int64(v), err
	case TypeFloat64:
		v, err := r.u64(what)
		return math.Float64frombits(v), err
	case TypeString:
		return r.str(what, maxStringLen)
	}
	return nil, fmt.Errorf("%w: %s has unknown value type %d", ErrFormat, what, t)
}

func (r *reader) value(t ValueType, what string, depth int) (any, error) {
	if t != TypeArray {
		return r.scalar(t, what)
	}
	if depth >= maxArrayDepth {
		return nil, fmt.Errorf("%w: %s nests arrays deeper than %d", ErrFormat, what, maxArrayDepth)
	}
	et, err := r.u32(what + " element type")
	if err != nil {
		return nil, err
	}
	n, err := r.u64(what + " length")
	if err != nil {
		return nil, err
	}
	// Every element takes at least one byte (strings and arrays at least
	// eight): a count beyond what is left is a lie, caught before allocating.
	minSize := uint64(ValueType(et).fixedSize())
	if ValueType(et) == TypeString || ValueType(et) == TypeArray {
		minSize = 8
	}
	if minSize == 0 {
		return nil, fmt.Errorf("%w: %s has unknown element type %d", ErrFormat, what, et)
	}
	if hi, lo := bits.Mul64(n, minSize); hi != 0 || lo > uint64(len(r.b))-r.off {
		return nil, fmt.Errorf("%w: %s claims %d elements, more than the %d bytes left hold", ErrFormat, what, n, uint64(len(r.b))-r.off)
	}
	el := func(i uint64) string { return fmt.Sprintf("%s[%d]", what, i) }
	switch ValueType(et) {
	case TypeString:
		out := make([]string, n)
		for i := range out {
			if out[i], err = r.str(el(uint64(i)), maxStringLen); err != nil {
				return nil, err
			}
		}
		return out, nil
	case TypeFloat32:
		out := make([]float32, n)
		for i := range out {
			v, _ := r.u32("")
			out[i] = math.Float32frombits(v)
		}
		return out, nil
	case TypeInt32:
		out := make([]int32, n)
		for i := range out {
			v, _ := r.u32("")
			out[i] = int32(v)
		}
		return out, nil
	case TypeUint32:
		out := make([]uint32, n)
		for i := range out {
			out[i], _ = r.u32("")
		}
		return out, nil
	case TypeArray:
		out := make([]any, n)
		for i := range out {
			if out[i], err = r.value(TypeArray, el(uint64(i)), depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	// Other scalar arrays: keep them generic.
	out := make([]any, n)
	for i := range out {
		if out[i], err = r.scalar(ValueType(et), el(uint64(i))); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Parse reads a GGUF file held in data (typically memory-mapped). The File
// views data; it must not change while the File is in use.
func Parse(data []byte) (*File, error) {
	r := &reader{b: data}
	if len(data) < 4 || string(data[:4]) != Magic {
		return nil, fmt.Errorf("%w: no GGUF magic", ErrFormat)
	}
	r.off = 4
	f := &File{data: data, kvIndex: map[string]int{}, tIndex: map[string]int{}, Alignment: 32}
	var err error
	if f.Version, err = r.u32("version"); err != nil {
		return nil, err
	}
	if f.Version != 2 && f.Version != 3 {
		return nil, fmt.Errorf("%w: version %d (want 2 or 3)", ErrFormat, f.Version)
	}
	nt, err := r.u64("tensor count")
	if err != nil {
		return nil, err
	}
	nkv, err := r.u64("metadata count")
	if err != nil {
		return nil, err
	}
	// A KV takes at least 8+4+1 bytes and a tensor info 8+4+8+4+8.
	left := uint64(len(data)) - r.off
	if nkv > left/13 || nt > left/32 {
		return nil, fmt.Errorf("%w: header claims %d metadata entries and %d tensors, more than the file's %d bytes hold", ErrFormat, nkv, nt, len(data))
	}
	f.KV = make([]KV, 0, nkv)
	for i := uint64(0); i < nkv; i++ {
		key, err := r.str(fmt.Sprintf("metadata key %d", i), maxKeyLen)
		if err != nil {
			return nil, err
		}
		t, err := r.u32("type of " + key)
		if err != nil {
			return nil, err
		}
		v, err := r.value(ValueType(t), key, 0)
		if err != nil {
			return nil, err
		}
		if _, dup := f.kvIndex[key]; dup {
			return nil, fmt.Errorf("%w: metadata key %q appears twice", ErrFormat, key)
		}
		f.kvIndex[key] = len(f.KV)
		f.KV = append(f.KV, KV{key, ValueType(t), v})
	}
	if kv, ok := f.Lookup("general.alignment"); ok {
		a, ok := asUint(kv.Value)
		if !ok || a == 0 || a&(a-1) != 0 || a > 1<<20 {
			return nil, fmt.Errorf("%w: general.alignment %v is not a power of two up to 1 MiB", ErrFormat, kv.Value)
		}
		f.Alignment = a
	}
	f.Tensors = make([]TensorInfo, 0, nt)
	for i := uint64(0); i < nt; i++ {
		name, err := r.str(fmt.Sprintf("tensor %d name", i), maxKeyLen)
		if err != nil {
			return nil, err
		}
		nd, err := r.u32("dimension count of tensor " + name)
		if err != nil {
			return nil, err
		}
		if nd == 0 || nd > maxDims {
			return nil, fmt.Errorf("%w: tensor %s has %d dimensions (1 to %d)", ErrFormat, name, nd, maxDims)
		}
		ti := TensorInfo{Name: name, Dims: make([]uint64, nd)}
		elems := uint64(1)
		for d := range ti.Dims {
			if ti.Dims[d], err = r.u64("shape of tensor " + name); err != nil {
				return nil, err
			}
			hi, lo := bits.Mul64(elems, ti.Dims[d])
			if hi != 0 || lo > 1<<48 {
				return nil, fmt.Errorf("%w: tensor %s: shape %v overflows", ErrFormat, name, ti.Dims[:d+1])
			}
			elems = lo
		}
		t, err := r.u32("type of tensor " + name)
		if err != nil {
			return nil, err
		}
		ti.Type = Type(t)
		if !ti.Type.Known() {
			return nil, fmt.Errorf("%w: tensor %s has unknown ggml type %d", ErrFormat, name, t)
		}
		if bs := uint64(ti.Type.BlockSize()); ti.Dims[0]%bs != 0 {
			return nil, fmt.Errorf("%w: tensor %s: rows of %d elements are not whole %s blocks of %d", ErrFormat, name, ti.Dims[0], ti.Type, bs)
		}
		ti.Size = elems / uint64(ti.Type.BlockSize()) * uint64(ti.Type.BlockBytes())
		if ti.Offset, err = r.u64("offset of tensor " + name); err != nil {
			return nil, err
		}
		if ti.Offset%f.Alignment != 0 {
			return nil, fmt.Errorf("%w: tensor %s: offset %d is not a multiple of the alignment %d", ErrFormat, name, ti.Offset, f.Alignment)
		}
		if _, dup := f.tIndex[name]; dup {
			return nil, fmt.Errorf("%w: tensor %s appears twice", ErrFormat, name)
		}
		f.tIndex[name] = len(f.Tensors)
		f.Tensors = append(f.Tensors, ti)
	}
	f.DataOffset = (r.off + f.Alignment - 1) / f.Alignment * f.Alignment
	dataLen := uint64(0)
	if f.DataOffset <= uint64(len(data)) {
		dataLen = uint64(len(data)) - f.DataOffset
	}
	for _, t := range f.Tensors {
		if t.Offset > dataLen || t.Size > dataLen-t.Offset {
			return nil, fmt.Errorf("%w: tensor %s (%s %v, %d bytes at data offset %d) lies past the end of the file's %d data bytes (truncated?)", ErrFormat, t.Name, t.Type, t.Dims, t.Size, t.Offset, dataLen)
		}
	}
	return f, nil
}

// Lookup returns a metadata entry.
func (f *File) Lookup(key string) (KV, bool) {
	i, ok := f.kvIndex[key]
	if !ok {
		return KV{}, false
	}
	return f.KV[i], true
}

// Tensor returns a tensor's info.
func (f *File) Tensor(name string) (*TensorInfo, bool) {
	i, ok := f.tIndex[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// Data returns a tensor's bytes, viewed in place.
func (f *File) Data(t *TensorInfo) []byte {
	start := f.DataOffset + t.Offset
	return f.data[start : start+t.Size : start+t.Size]
}

// String returns a string value; a missing key or another type is an error
// naming the key.
func (f *File) String(key string) (string, error) {
	kv, ok := f.Lookup(key)
	if !ok {
		return "", fmt.Errorf("%w: metadata %s is missing", ErrFormat, key)
	}
	s, ok := kv.Value.(string)
	if !ok {
		return "", fmt.Errorf("%w: metadata %s is %T, want a string", ErrFormat, key, kv.Value)
	}
	return s, nil
}

// Uint returns a non-negative integer value of any integer type.
func (f *File) Uint(key string) (uint64, error) {
	kv, ok := f.Lookup(key)
	if !ok {
		return 0, fmt.Errorf("%w: metadata %s is missing", ErrFormat, key)
	}
	v, ok := asUint(kv.Value)
	if !ok {
		return 0, fmt.Errorf("%w: metadata %s is %v (%T), want a non-negative integer", ErrFormat, key, kv.Value, kv.Value)
	}
	return v, nil
}

// Float returns a number value of any numeric type.
func (f *File) Float(key string) (float64, error) {
	kv, ok := f.Lookup(key)
	if !ok {
		return 0, fmt.Errorf("%w: metadata %s is missing", ErrFormat, key)
	}
	switch v := kv.Value.(type) {
	case float32:
		return float64(v), nil
	case float64:
		return v, nil
	}
	if u, ok := asUint(kv.Value); ok {
		return float64(u), nil
	}
	return 0, fmt.Errorf("%w: metadata %s is %T, want a number", ErrFormat, key, kv.Value)
}

// Bool returns a boolean value.
func (f *File) Bool(key string) (bool, error) {
	kv, ok := f.Lookup(key)
	if !ok {
		return false, fmt.Errorf("%w: metadata %s is missing", ErrFormat, key)
	}
	b, ok := kv.Value.(bool)
	if !ok {
		return false, fmt.Errorf("%w: metadata %s is %T, want a bool", ErrFormat, key, kv.Value)
	}
	return b, nil
}

// Strings returns a string-array value.
func (f *File) Strings(key string) ([]string, error) {
	kv, ok := f.Lookup(key)
	if !ok {
		return nil, fmt.Errorf("%w: metadata %s is missing", ErrFormat, key)
	}
	s, ok := kv.Value.([]string)
	if !ok {
		return nil, fmt.Errorf("%w: metadata %s is %T, want an array of strings", ErrFormat, key, kv.Value)
	}
	return s, nil
}

// Ints returns an integer-array value as int32s.
func (f *File) Ints(key string) ([]int32, error) {
	kv, ok := f.Lookup(key)
	if !ok {
		return nil, fmt.Errorf("%w: metadata %s is missing", ErrFormat, key)
	}
	switch v := kv.Value.(type) {
	case []int32:
		return v, nil
	case []uint32:
		out := make([]int32, len(v))
		for i, x := range v {
			out[i] = int32(x)
		}
		return out, nil
	case []any:
		out := make([]int32, len(v))
		for i, x := range v {
			u, ok := asInt(x)
			if !ok || u < math.MinInt32 || u > math.MaxInt32 {
				return nil, fmt.Errorf("%w: metadata %s[%d] is %v, want an int32", ErrFormat, key, i, x)
			}
			out[i] = int32(u)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: metadata %s is %T, want an array of integers", ErrFormat, key, kv.Value)
}

// Floats returns a float32-array value.
func (f *File) Floats(key string) ([]float32, error) {
	kv, ok := f.Lookup(key)
	if !ok {
		return nil, fmt.Errorf("%w: metadata %s is missing", ErrFormat, key)
	}
	s, ok := kv.Value.([]float32)
	if !ok {
		return nil, fmt.Errorf("%w: metadata %s is %T, want an array of float32", ErrFormat, key, kv.Value)
	}
	return s, nil
}

func asUint(v any) (uint64, bool) {
	i, ok := asInt(v)
	if ok && i >= 0 {
		return uint64(i), true
	}
	if u, ok := v.(uint64); ok {
		return u, true
	}
	return 0, false
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case uint8:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}
