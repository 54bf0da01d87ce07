package chat_test

import (
	"fmt"

	"github.com/ponder-go/ponder/llm"
	"github.com/ponder-go/ponder/localmodel/chat"
)

// A model's own Jinja template (here SmolLM2's style) renders the
// conversation as the model was trained to read it.
func ExampleDetect() {
	src := `{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
You are a helpful AI assistant<|im_end|>
' }}{% endif %}{{'<|im_start|>' + message['role'] + '
' + message['content'] + '<|im_end|>' + '
'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
' }}{% endif %}`
	t, err := chat.Detect(src, "", "<|im_end|>")
	if err != nil {
		panic(err)
	}
	out, err := t.Render([]llm.Message{llm.User("How many times larger is California than Alaska?")}, nil, true)
	if err != nil {
		panic(err)
	}
	fmt.Println(t.Family, t.EndOfTurn())
	fmt.Print(out)
	// Output:
	// chatml <|im_end|>
	// <|im_start|>system
	// You are a helpful AI assistant<|im_end|>
	// <|im_start|>user
	// How many times larger is California than Alaska?<|im_end|>
	// <|im_start|>assistant
}
