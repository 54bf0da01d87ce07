package tools_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/ponder-go/ponder/tools"
)

// A custom tool is a name, a description for the model and a function.
func ExampleNew() {
	upper := tools.New("shout", "Repeats the input in capitals.", func(ctx context.Context, input string) (string, error) {
		return strings.ToUpper(input), nil
	})
	reg, err := tools.NewRegistry(upper)
	if err != nil {
		panic(err)
	}
	out, err := reg.Call(context.Background(), "shout", "hello")
	fmt.Println(out, err)
	// Output: HELLO <nil>
}

func ExampleCalculator() {
	reg, _ := tools.Builtin("calculator")
	out, err := reg.Call(context.Background(), "calculator", "39,538,223 / 733,391")
	fmt.Println(out, err)
	// Output: 53.911519 <nil>
}
