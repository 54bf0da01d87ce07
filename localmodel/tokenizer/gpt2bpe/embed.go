// Package gpt2bpe ships GPT-2's tokenizer files (see README.md for source
// and licences).
package gpt2bpe

import _ "embed"

// Encoder is encoder.json: token string -> id.
//
//go:embed encoder.json
var Encoder []byte

// Merges is vocab.bpe: the merge list in rank order.
//
//go:embed vocab.bpe
var Merges []byte
