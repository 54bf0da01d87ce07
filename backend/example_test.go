package backend_test

import (
	"fmt"
	"os"

	"github.com/ponder-go/ponder/backend"
)

// "auto" picks the OpenAI-compatible backend when the environment points at
// a server, else the bundled local model.
func ExampleResolve() {
	os.Unsetenv("OPENAI_API_KEY")
	os.Unsetenv("OPENAI_BASE_URL")
	fmt.Println(backend.Resolve("auto"))
	os.Setenv("OPENAI_BASE_URL", "http://localhost:11434/v1")
	fmt.Println(backend.Resolve("auto"))
	os.Unsetenv("OPENAI_BASE_URL")
	// Output:
	// local
	// openai
}
