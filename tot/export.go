package tot

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// WriteJSON writes the result, with the whole tree.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteDOT writes the tree as a Graphviz digraph: nodes labelled with their
// step and value, filled by value, pruned nodes grey and dashed, solutions
// with a double border.
func (r *Result) WriteDOT(w io.Writer) error {
	var b strings.Builder
	b.WriteString("digraph tot {\n  node [shape=box, style=filled, fontname=\"Helvetica\"];\n")
	maxV := r.maxValue()
	for _, n := range r.Nodes {
		label := n.Thought
		if n.Parent < 0 {
			label = firstLine(n.State)
		}
		label = fmt.Sprintf("#%d %s\\nvalue %.3g", n.ID, dotEscape(label), n.Value)
		attrs := fmt.Sprintf("label=\"%s\", fillcolor=\"%s\"", label, valueColor(n.Value, maxV))
		if n.Pruned {
			attrs += ", style=\"filled,dashed\", fillcolor=\"#dddddd\", fontcolor=\"#777777\""
		}
		if n.Solution {
			attrs += ", peripheries=2"
		}
		fmt.Fprintf(&b, "  n%d [%s];\n", n.ID, attrs)
		if n.Parent >= 0 {
			fmt.Fprintf(&b, "  n%d -> n%d;\n", n.Parent, n.ID)
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Result) maxValue() float64 {
	m := 0.0
	for _, n := range r.Nodes {
		if n.Value > m {
			m = n.Value
		}
	}
	return m
}

// valueColor maps value/max to a red (low) to green (high) fill.
func valueColor(v, maxV float64) string {
	f := 0.0
	if maxV > 0 {
		f = v / maxV
	}
	f = min(max(f, 0), 1)
	rr := int(255 - 120*f)
	gg := int(170 + 85*f)
	bb := int(170 - 40*f)
	return fmt.Sprintf("#%02x%02x%02x", rr, gg, bb)
}

func dotEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// WriteHTML writes one self-contained page (inline CSS and JavaScript, no
// network) showing the tree: nodes coloured by value, pruned ones greyed,
// solutions outlined; clicking a node shows its state, thought, values and
// the prompts and outputs that produced it.
func (r *Result) WriteHTML(w io.Writer, title string) error {
	type viewNode struct {
		*Node
		Color string `json:"color"`
	}
	nodes := make([]viewNode, len(r.Nodes))
	maxV := r.maxValue()
	for i, n := range r.Nodes {
		nodes[i] = viewNode{n, valueColor(n.Value, maxV)}
	}
	data, err := json.Marshal(map[string]any{"strategy": r.Strategy, "solved": r.Solved, "answer": r.Answer, "best": r.Best.ID, "calls": r.Calls, "tokens": r.Tokens, "nodes": nodes})
	if err != nil {
		return err
	}
	return htmlPage.Execute(w, map[string]any{"Title": title, "Data": template.JS(data)})
}

var htmlPage = template.Must(template.New("tot").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;display:flex;height:100vh;color:#222}
#tree{flex:3;overflow:auto;padding:12px;border-right:1px solid #ccc}
#detail{flex:2;overflow:auto;padding:12px;background:#fafafa}
ul{list-style:none;margin:0;padding-left:22px;border-left:1px dotted #bbb}
#tree>ul{border-left:none;padding-left:0}
.node{display:inline-block;margin:2px 0;padding:2px 6px;border-radius:4px;border:1px solid #999;cursor:pointer;font-family:ui-monospace,monospace;font-size:12px}
.node.pruned{background:#e4e4e4!important;color:#888;border-style:dashed}
.node.solution{border:2px solid #0a7a0a;font-weight:bold}
.node.selected{outline:3px solid #1a5fd0}
.node.best{box-shadow:0 0 0 2px #d08a1a}
h1{font-size:16px;margin:0 0 8px}
pre{white-space:pre-wrap;background:#fff;border:1px solid #ddd;padding:6px;font-size:12px}
.k{color:#666}
</style></head><body>
<div id="tree"><h1 id="summary"></h1></div>
<div id="detail"><p class="k">Click a node to see its state, values, prompts and outputs.</p></div>
<script>
const data = {{.Data}};
const byParent = {};
data.nodes.forEach(n => { (byParent[n.parent] = byParent[n.parent] || []).push(n); });
document.getElementById('summary').textContent =
  data.strategy.toUpperCase() + ': ' + (data.solved ? 'solved' : 'not solved') +
  (data.answer ? ' — ' + data.answer : '') + ' · ' + data.nodes.length + ' nodes · ' +
  data.calls + ' model calls · ' + data.tokens + ' tokens';
function label(n) {
  const t = n.parent < 0 ? n.state.split('\n')[0] : n.thought;
  return '#' + n.id + ' ' + t + '  [' + (+n.value).toPrecision(3) + ']';
}
function build(parent) {
  const kids = byParent[parent];
  if (!kids) return null;
  const ul = document.createElement('ul');
  kids.forEach(n => {
    const li = document.createElement('li');
    const span = document.createElement('span');
    span.className = 'node' + (n.pruned ? ' pruned' : '') + (n.solution ? ' solution' : '') + (n.id === data.best ? ' best' : '');
    span.style.background = n.color;
    span.id = 'node-' + n.id;
    span.dataset.id = n.id;
    span.textContent = label(n);
    span.onclick = () => show(n);
    li.appendChild(span);
    const sub = build(n.id);
    if (sub) li.appendChild(sub);
    ul.appendChild(li);
  });
  return ul;
}
function field(name, value) {
  if (value === undefined || value === null || value === '' ) return '';
  const esc = String(value).replace(/[&<>]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]));
  return '<div class="k">' + name + '</div><pre>' + esc + '</pre>';
}
function show(n) {
  document.querySelectorAll('.node.selected').forEach(e => e.classList.remove('selected'));
  document.getElementById('node-' + n.id).classList.add('selected');
  const d = document.getElementById('detail');
  d.innerHTML = '<h1 id="detail-title">Node ' + n.id + '</h1>' +
    field('depth / parent', n.depth + ' / ' + n.parent) +
    field('status', (n.solution ? 'solution ' : '') + (n.pruned ? 'pruned' : 'kept') + (n.cached ? ' (value from cache)' : '')) +
    field('thought', n.thought) + field('state', n.state) +
    field('value', n.value) + field('values', n.values ? n.values.join(', ') : '') +
    field('votes', n.votes) + field('score', n.score) + field('visits', n.visits) +
    field('generation prompt', n.gen_prompt) + field('generation output', n.gen_output) +
    field('evaluation prompt', n.eval_prompt) + field('evaluation output', n.eval_output);
}
document.getElementById('tree').appendChild(build(-1));
if (location.hash.startsWith('#node-')) {
  const n = data.nodes[+location.hash.slice(6)];
  if (n) show(n);
}
</script></body></html>
`))
