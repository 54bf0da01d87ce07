package natural_test

import (
	"fmt"

	"github.com/ponder-go/ponder/react/natural"
)

// Scoring answers: right, an honest refusal, or confidently wrong.
func ExampleJudge() {
	q := natural.Question{Q: "how many times more people live in california than AK?", Kind: natural.Ratio, Value: 39538223.0 / 733391}
	fmt.Println(natural.Judge(q, "California's population is about 53.9 times Alaska's."))
	fmt.Println(natural.Judge(q, "About 58 times."))
	fmt.Println(natural.Judge(natural.Question{Q: "Who is the governor of Ohio?", Kind: natural.OutOfScope}, "I could not answer that."))
	dev, _ := natural.DevSet()
	fmt.Println(len(dev), "questions in the development set")
	// Output:
	// right
	// confident-wrong
	// refused
	// 240 questions in the development set
}
