//go:build ignore

// Generates testdata/states-dev, a BEIR-format retrieval set over the bundled
// US state passages: corpus.jsonl (the passages), queries.jsonl (questions
// phrased unlike the passages) and qrels.tsv.
//
//	go run ./retrieval/testdata/gen_states_dev.go
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ponder-go/ponder/tools/corpus"
)

func main() {
	dir := filepath.Join("retrieval", "testdata", "states-dev")
	docs, err := corpus.Passages()
	check(err)
	states, err := corpus.States()
	check(err)
	cf, err := os.Create(filepath.Join(dir, "corpus.jsonl"))
	check(err)
	enc := json.NewEncoder(cf)
	for _, d := range docs {
		check(enc.Encode(map[string]string{"_id": d.ID, "title": d.Title, "text": d.Text}))
	}
	check(cf.Close())
	qf, err := os.Create(filepath.Join(dir, "queries.jsonl"))
	check(err)
	rf, err := os.Create(filepath.Join(dir, "qrels.tsv"))
	check(err)
	fmt.Fprintln(rf, "query-id\tcorpus-id\tscore")
	qenc := json.NewEncoder(qf)
	templates := []struct{ topic, text string }{
		{"population", "How many people lived in %s in 2020?"},
		{"population", "%s inhabitants census count"},
		{"area", "How big is %s in square miles?"},
		{"area", "What share of %s is water?"},
		{"overview", "What city is the seat of government of %s?"},
		{"overview", "When did %s become part of the Union?"},
		{"overview", "How high is the tallest summit in %s?"},
		{"economy", "What do people in %s earn on average?"},
		{"economy", "How many adults in %s went to university?"},
		{"climate", "How many freezing days does %s get in a typical year?"},
		{"climate", "How long do people in %s live?"},
		{"climate", "Is %s safe? Murder statistics"},
	}
	n := 0
	for _, s := range states {
		id := corpus.StatePassages(s)[0].ID
		base := id[:len(id)-len("/overview")]
		for _, t := range templates {
			n++
			qid := fmt.Sprintf("q%04d", n)
			check(qenc.Encode(map[string]string{"_id": qid, "text": fmt.Sprintf(t.text, s.Name)}))
			fmt.Fprintf(rf, "%s\t%s/%s\t1\n", qid, base, t.topic)
		}
	}
	check(qf.Close())
	check(rf.Close())
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
