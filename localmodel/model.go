// Package localmodel is Ponder's in-process runtime: a model is an
// architecture's forward pass (a Network) plus a Tokenizer and, for chat
// models, a chat template. The runtime around it — prefill, sampling,
// constraints, stop handling, streaming and the llm.Model Backend — sees
// only those interfaces, so every architecture gets all of it.
//
// Architectures live in their own packages (localmodel/gpt2,
// localmodel/llama for the Llama, Qwen2 and Qwen3 families) and register
// the checkpoint formats they read; Load picks the format from the file.
// No network, no key.
package localmodel

import (
	"errors"
	"sync"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel/constrain"
	"github.com/ponder-go/ponder/localmodel/tokenizer"
)

// Network is one architecture's forward pass over a KV-cached sequence.
// Implementations are safe for concurrent use as long as each sequence has
// its own State.
type Network interface {
	// VocabSize is the number of logits per position.
	VocabSize() int
	// ContextLength is the most positions a State holds.
	ContextLength() int
	// NewState returns an empty sequence.
	NewState() State
	// Forward feeds tokens to the sequence (a prompt prefill or one decoded
	// token) and returns logits: for the last position only, or for every
	// new position when all is set (rows of VocabSize floats). The returned
	// slice belongs to the caller.
	Forward(s State, tokens []int32, all bool) ([]float32, error)
}

// State is one sequence's cache. Fork copies it so several samples can
// share one prefill.
type State interface {
	// Len is the number of tokens processed.
	Len() int
	Fork() State
}

// Tokenizer turns text into token ids and back (tokenizer.BPE and
// tokenizer.SentencePiece implement it).
type Tokenizer = tokenizer.Tokenizer

// ErrContextFull is returned when a sequence would exceed the context.
var ErrContextFull = errors.New("context window full")

// ErrCorrupt is wrapped by every loading error about a file's content (as
// opposed to I/O errors).
var ErrCorrupt = errors.New("invalid model file")

// Model is a loaded model: network, tokenizer and how it is prompted.
type Model struct {
	Net Network
	Tok Tokenizer
	// Chat renders a conversation the way the model was trained to read it;
	// nil means plain text (each message's content, blank-line separated),
	// the way a completion model reads a scratchpad.
	Chat ChatTemplate
	// Stops are token ids that end a generation (end of text, end of turn).
	Stops []int32
	// AddBOS prepends BOS to prompts (Llama-family tokenizers say so in
	// their metadata); chat templates write it themselves.
	AddBOS bool
	BOS    int32
	// Arch names the architecture ("gpt2", "llama", "qwen2", ...).
	Arch string
	// PrefixCache bounds the memory of prefilled prompt states kept for
	// reuse by later prompts that start the same way (0: DefaultPrefixCache;
	// negative: off).
	PrefixCache int64
	// Batch is the most sequences decoded together in one forward pass
	// when generations run at once (concurrent calls, or the N samples of
	// one call) and the network is a BatchNetwork; 0 or 1 decodes each on
	// its own. A batched sequence's rows may round differently in the
	// last bits from the same sequence decoded alone.
	Batch int

	prefixes prefixCache
	batch    batcher
	close    func() error
	ixOnce   sync.Once
	ix       *constrain.Index
}

// SetCloser makes Close call fn (loaders use it to unmap a file).
func (m *Model) SetCloser(fn func() error) { m.close = fn }

// Close releases the weights (unmapping a memory-mapped file).
func (m *Model) Close() error {
	if m.close != nil {
		return m.close()
	}
	return nil
}

// ContextLength is the network's context in tokens.
func (m *Model) ContextLength() int { return m.Net.ContextLength() }

// ConstraintIndex returns the vocabulary index constraint masks walk
// (control tokens left out), built once per model.
func (m *Model) ConstraintIndex() *constrain.Index {
	m.ixOnce.Do(func() { m.ix = constrain.NewIndex(m.Tok, m.Tok.Specials()...) })
	return m.ix
}

// EncodeText tokenizes a raw prompt the way the model expects one: with
// BOS first where the tokenizer asks for it.
func (m *Model) EncodeText(text string) []int32 {
	ids := m.Tok.Encode(text)
	if m.AddBOS {
		ids = append([]int32{m.BOS}, ids...)
	}
	return ids
}

// EncodeChat renders a conversation and the tools offered with the
// model's chat template (plain text without one) and tokenizes it, control
// tokens included.
func (m *Model) EncodeChat(msgs []llm.Message, tools []llm.ToolSpec) ([]int32, error) {
	if m.Chat == nil {
		return m.EncodeText(RenderMessages(msgs)), nil
	}
	text, err := m.Chat.Render(msgs, tools, true)
	if err != nil {
		return nil, err
	}
	return m.Tok.EncodeSpecial(text), nil
}

// ToolTemplate returns the chat template when the model calls tools
// natively, else nil.
func (m *Model) ToolTemplate() ToolTemplate {
	if t, ok := m.Chat.(ToolTemplate); ok && t.CallsTools() {
		return t
	}
	return nil
}

// isStop reports whether id ends a generation.
func (m *Model) isStop(id int32) bool {
	for _, s := range m.Stops {
		if s == id {
			return true
		}
	}
	return false
}

// StopToken is the first stop id, or -1 (the constraint engine offers it
// once a constraint is complete).
func (m *Model) StopToken() int32 {
	if len(m.Stops) > 0 {
		return m.Stops[0]
	}
	return -1
}
