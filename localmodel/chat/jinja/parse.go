package jinja

import (
	"fmt"
	"strconv"
	"strings"
)

// Template nodes.
type (
	node       interface{}
	textNode   struct{ s string }
	outputNode struct{ x expr }
	ifNode     struct {
		conds  []expr
		bodies [][]node
		els    []node
	}
	forNode struct {
		targets   []string
		iter      expr
		cond      expr
		body, els []node
	}
	setNode struct {
		targets []string // one name, or several to unpack
		attr    string   // set ns.attr = ...
		x       expr
		body    []node // {% set x %}...{% endset %}
	}
	macroNode struct {
		name     string
		params   []string
		defaults []expr
		body     []node
	}
	loopControl struct{ brk bool }
)

// Expression nodes.
type (
	expr    interface{}
	literal struct{ v any }
	name    struct{ s string }
	attr    struct {
		x expr
		s string
	}
	index struct{ x, i expr }
	slice struct{ x, lo, hi, step expr }
	call  struct {
		fn     expr
		args   []expr
		kwargs map[string]expr
	}
	filter struct {
		x      expr
		name   string
		args   []expr
		kwargs map[string]expr
	}
	test struct {
		x      expr
		name   string
		args   []expr
		negate bool
	}
	unary struct {
		op string
		x  expr
	}
	binary struct {
		op   string
		l, r expr
	}
	condExpr struct{ then, cond, els expr }
	listLit  struct{ items []expr }
	dictLit  struct{ keys, vals []expr }
)

// parser reads statements from segments.
type parser struct {
	segs []segment
	pos  int
}

// parseBody reads nodes until one of the end statements; it returns the
// statement that ended the body ("" at the end of the template).
func (p *parser) parseBody(ends ...string) ([]node, string, error) {
	var out []node
	for p.pos < len(p.segs) {
		s := p.segs[p.pos]
		p.pos++
		switch s.kind {
		case 't':
			out = append(out, textNode{s.src})
		case 'e':
			x, err := parseExpr(s.src)
			if err != nil {
				return nil, "", fmt.Errorf("jinja: line %d: {{ %s }}: %w", s.line, s.src, err)
			}
			out = append(out, outputNode{x})
		case 's':
			word, _, _ := strings.Cut(s.src, " ")
			for _, e := range ends {
				if word == e {
					return out, s.src, nil
				}
			}
			n, err := p.statement(s)
			if err != nil {
				return nil, "", fmt.Errorf("jinja: line %d: {%% %s %%}: %w", s.line, s.src, err)
			}
			if n != nil {
				out = append(out, n)
			}
		}
	}
	if len(ends) > 0 {
		return nil, "", fmt.Errorf("jinja: missing {%% %s %%}", ends[len(ends)-1])
	}
	return out, "", nil
}

func (p *parser) statement(s segment) (node, error) {
	word, rest, _ := strings.Cut(s.src, " ")
	rest = strings.TrimSpace(rest)
	switch word {
	case "if":
		n := ifNode{}
		cond := rest
		for {
			x, err := parseExpr(cond)
			if err != nil {
				return nil, err
			}
			body, end, err := p.parseBody("elif", "else", "endif")
			if err != nil {
				return nil, err
			}
			n.conds, n.bodies = append(n.conds, x), append(n.bodies, body)
			w, r, _ := strings.Cut(end, " ")
			switch w {
			case "elif":
				cond = r
				continue
			case "else":
				els, _, err := p.parseBody("endif")
				if err != nil {
					return nil, err
				}
				n.els = els
			}
			return n, nil
		}
	case "for":
		head, iterSrc, ok := strings.Cut(rest, " in ")
		if !ok {
			return nil, fmt.Errorf("for without in")
		}
		n := forNode{}
		for _, t := range strings.Split(head, ",") {
			n.targets = append(n.targets, strings.TrimSpace(strings.Trim(strings.TrimSpace(t), "()")))
		}
		toks, err := tokenize(iterSrc)
		if err != nil {
			return nil, err
		}
		ep := &exprParser{toks: toks}
		if n.iter, err = ep.ternaryNoIf(); err != nil {
			return nil, err
		}
		if ep.peek().s == "if" && ep.peek().kind == 'n' {
			ep.next()
			if n.cond, err = ep.ternary(); err != nil {
				return nil, err
			}
		}
		if ep.peek().kind == 'n' && ep.peek().s == "recursive" {
			return nil, fmt.Errorf("recursive loops are not supported")
		}
		if ep.pos != len(ep.toks) {
			return nil, fmt.Errorf("unexpected %q", ep.peek().s)
		}
		body, end, err := p.parseBody("else", "endfor")
		if err != nil {
			return nil, err
		}
		n.body = body
		if end == "else" {
			if n.els, _, err = p.parseBody("endfor"); err != nil {
				return nil, err
			}
		}
		return n, nil
	case "set":
		lhs, rhs, hasEq := strings.Cut(rest, "=")
		n := setNode{}
		lhs = strings.TrimSpace(lhs)
		if before, after, ok := strings.Cut(lhs, "."); ok {
			n.targets, n.attr = []string{strings.TrimSpace(before)}, strings.TrimSpace(after)
		} else {
			for _, t := range strings.Split(lhs, ",") {
				n.targets = append(n.targets, strings.TrimSpace(strings.Trim(strings.TrimSpace(t), "()")))
			}
		}
		if !hasEq {
			body, _, err := p.parseBody("endset")
			if err != nil {
				return nil, err
			}
			n.body = body
			return n, nil
		}
		x, err := parseExpr(rhs)
		if err != nil {
			return nil, err
		}
		n.x = x
		return n, nil
	case "macro":
		open := strings.Index(rest, "(")
		if open < 0 || !strings.HasSuffix(rest, ")") {
			return nil, fmt.Errorf("macro needs a parameter list")
		}
		n := macroNode{name: strings.TrimSpace(rest[:open])}
		for _, prm := range splitTopLevel(rest[open+1 : len(rest)-1]) {
			if strings.TrimSpace(prm) == "" {
				continue
			}
			nm, def, hasDef := strings.Cut(prm, "=")
			n.params = append(n.params, strings.TrimSpace(nm))
			var d expr
			if hasDef {
				var err error
				if d, err = parseExpr(def); err != nil {
					return nil, err
				}
			}
			n.defaults = append(n.defaults, d)
		}
		body, _, err := p.parseBody("endmacro")
		if err != nil {
			return nil, err
		}
		n.body = body
		return n, nil
	case "break", "continue":
		return loopControl{brk: word == "break"}, nil
	case "do":
		x, err := parseExpr(rest)
		if err != nil {
			return nil, err
		}
		return setNode{x: x}, nil
	}
	return nil, fmt.Errorf("statement %q is not supported", word)
}

// splitTopLevel splits on commas outside brackets and strings.
func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case '"', '\'':
			q := s[i]
			for i++; i < len(s) && s[i] != q; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// exprParser is a recursive-descent parser with Jinja's precedence.
type exprParser struct {
	toks []token
	pos  int
}

func parseExpr(src string) (expr, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks}
	x, err := p.ternary()
	if err != nil {
		return nil, err
	}
	// A bare tuple: a, b
	if p.peek().s == "," && p.peek().kind == 'o' {
		items := []expr{x}
		for p.accept(",") {
			y, err := p.ternary()
			if err != nil {
				return nil, err
			}
			items = append(items, y)
		}
		x = listLit{items}
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.peek().s)
	}
	return x, nil
}

func (p *exprParser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{}
}

func (p *exprParser) next() token {
	t := p.peek()
	p.pos++
	return t
}

func (p *exprParser) accept(op string) bool {
	if t := p.peek(); t.kind == 'o' && t.s == op {
		p.pos++
		return true
	}
	return false
}

func (p *exprParser) acceptName(n string) bool {
	if t := p.peek(); t.kind == 'n' && t.s == n {
		p.pos++
		return true
	}
	return false
}

func (p *exprParser) expect(op string) error {
	if !p.accept(op) {
		return fmt.Errorf("expected %q, found %q", op, p.peek().s)
	}
	return nil
}

func (p *exprParser) ternary() (expr, error) {
	x, err := p.or()
	if err != nil {
		return nil, err
	}
	for p.acceptName("if") {
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		var e expr = literal{undefined{}}
		if p.acceptName("else") {
			if e, err = p.ternary(); err != nil {
				return nil, err
			}
		}
		x = condExpr{x, c, e}
	}
	return x, nil
}

// ternaryNoIf is an expression that stops before "if" (a for loop's
// iterable, whose "if" filters items).
func (p *exprParser) ternaryNoIf() (expr, error) { return p.or() }

func (p *exprParser) or() (expr, error) {
	x, err := p.and()
	for err == nil && p.acceptName("or") {
		var y expr
		if y, err = p.and(); err == nil {
			x = binary{"or", x, y}
		}
	}
	return x, err
}

func (p *exprParser) and() (expr, error) {
	x, err := p.not()
	for err == nil && p.acceptName("and") {
		var y expr
		if y, err = p.not(); err == nil {
			x = binary{"and", x, y}
		}
	}
	return x, err
}

func (p *exprParser) not() (expr, error) {
	if p.acceptName("not") {
		x, err := p.not()
		return unary{"not", x}, err
	}
	return p.compare()
}

func (p *exprParser) compare() (expr, error) {
	x, err := p.add()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		op := ""
		switch {
		case t.kind == 'o' && (t.s == "==" || t.s == "!=" || t.s == "<" || t.s == ">" || t.s == "<=" || t.s == ">="):
			op = t.s
			p.pos++
		case t.kind == 'n' && t.s == "in":
			op = "in"
			p.pos++
		case t.kind == 'n' && t.s == "not" && p.pos+1 < len(p.toks) && p.toks[p.pos+1].s == "in":
			op = "not in"
			p.pos += 2
		default:
			return x, nil
		}
		y, err := p.add()
		if err != nil {
			return nil, err
		}
		x = binary{op, x, y}
	}
}

func (p *exprParser) add() (expr, error) {
	x, err := p.concat()
	for err == nil {
		t := p.peek()
		if t.kind != 'o' || t.s != "+" && t.s != "-" {
			break
		}
		p.pos++
		var y expr
		if y, err = p.concat(); err == nil {
			x = binary{t.s, x, y}
		}
	}
	return x, err
}

func (p *exprParser) concat() (expr, error) {
	x, err := p.mul()
	for err == nil && p.accept("~") {
		var y expr
		if y, err = p.mul(); err == nil {
			x = binary{"~", x, y}
		}
	}
	return x, err
}

func (p *exprParser) mul() (expr, error) {
	x, err := p.unary()
	for err == nil {
		t := p.peek()
		if t.kind != 'o' || t.s != "*" && t.s != "/" && t.s != "//" && t.s != "%" && t.s != "**" {
			break
		}
		p.pos++
		var y expr
		if y, err = p.unary(); err == nil {
			x = binary{t.s, x, y}
		}
	}
	return x, err
}

func (p *exprParser) unary() (expr, error) {
	if p.accept("-") {
		x, err := p.unary()
		return unary{"-", x}, err
	}
	if p.accept("+") {
		return p.unary()
	}
	x, err := p.postfix()
	if err != nil {
		return nil, err
	}
	return p.filters(x)
}

// filters reads "| name(args)" and "is [not] name(args)" after a value.
func (p *exprParser) filters(x expr) (expr, error) {
	for {
		switch {
		case p.accept("|"):
			t := p.next()
			if t.kind != 'n' {
				return nil, fmt.Errorf("filter name expected after |")
			}
			f := filter{x: x, name: t.s}
			if p.accept("(") {
				var err error
				if f.args, f.kwargs, err = p.args(); err != nil {
					return nil, err
				}
			}
			x = f
		case p.acceptName("is"):
			tt := test{x: x, negate: p.acceptName("not")}
			t := p.next()
			if t.kind != 'n' && !(t.kind == 'o' && (t.s == "==" || t.s == "!=")) {
				return nil, fmt.Errorf("test name expected after is")
			}
			tt.name = t.s
			if p.accept("(") {
				var err error
				if tt.args, _, err = p.args(); err != nil {
					return nil, err
				}
			} else if k := p.peek().kind; k == 's' || k == 'i' || k == 'f' || (k == 'n' && !isKeyword(p.peek().s)) {
				a, err := p.postfix()
				if err != nil {
					return nil, err
				}
				tt.args = []expr{a}
			}
			x = tt
		default:
			return x, nil
		}
	}
}

func isKeyword(s string) bool {
	switch s {
	case "and", "or", "not", "if", "else", "in", "is":
		return true
	}
	return false
}

// args reads call arguments after "(" through ")".
func (p *exprParser) args() ([]expr, map[string]expr, error) {
	var args []expr
	var kw map[string]expr
	for !p.accept(")") {
		if len(args)+len(kw) > 0 {
			if err := p.expect(","); err != nil {
				return nil, nil, err
			}
			if p.accept(")") {
				break
			}
		}
		if t := p.peek(); t.kind == 'n' && p.pos+1 < len(p.toks) && p.toks[p.pos+1].s == "=" && p.toks[p.pos+1].kind == 'o' {
			p.pos += 2
			v, err := p.ternary()
			if err != nil {
				return nil, nil, err
			}
			if kw == nil {
				kw = map[string]expr{}
			}
			kw[t.s] = v
			continue
		}
		v, err := p.ternary()
		if err != nil {
			return nil, nil, err
		}
		args = append(args, v)
	}
	return args, kw, nil
}

func (p *exprParser) postfix() (expr, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.accept("."):
			t := p.next()
			if t.kind != 'n' && t.kind != 'i' {
				return nil, fmt.Errorf("attribute name expected after .")
			}
			x = attr{x, t.s}
		case p.accept("["):
			var parts [3]expr
			n := 0
			isSlice := false
			for {
				if t := p.peek(); !(t.kind == 'o' && (t.s == ":" || t.s == "]")) {
					v, err := p.ternary()
					if err != nil {
						return nil, err
					}
					parts[n] = v
				}
				if p.accept(":") {
					isSlice = true
					if n++; n > 2 {
						return nil, fmt.Errorf("slice with more than three parts")
					}
					continue
				}
				break
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			if isSlice {
				x = slice{x, parts[0], parts[1], parts[2]}
			} else {
				x = index{x, parts[0]}
			}
		case p.accept("("):
			args, kw, err := p.args()
			if err != nil {
				return nil, err
			}
			x = call{x, args, kw}
		default:
			return x, nil
		}
	}
}

func (p *exprParser) primary() (expr, error) {
	t := p.next()
	switch t.kind {
	case 's':
		s := t.s
		for p.peek().kind == 's' { // adjacent literals concatenate
			s += p.next().s
		}
		return literal{s}, nil
	case 'i':
		n, err := strconv.Atoi(t.s)
		if err != nil {
			return nil, err
		}
		return literal{n}, nil
	case 'f':
		f, err := strconv.ParseFloat(t.s, 64)
		if err != nil {
			return nil, err
		}
		return literal{f}, nil
	case 'n':
		switch t.s {
		case "true", "True":
			return literal{true}, nil
		case "false", "False":
			return literal{false}, nil
		case "none", "None":
			return literal{nil}, nil
		}
		return name{t.s}, nil
	case 'o':
		switch t.s {
		case "(":
			if p.accept(")") {
				return listLit{}, nil
			}
			x, err := p.ternary()
			if err != nil {
				return nil, err
			}
			if p.accept(",") { // a tuple
				items := []expr{x}
				for !p.accept(")") {
					y, err := p.ternary()
					if err != nil {
						return nil, err
					}
					items = append(items, y)
					if !p.accept(",") {
						if err := p.expect(")"); err != nil {
							return nil, err
						}
						break
					}
				}
				return listLit{items}, nil
			}
			return x, p.expect(")")
		case "[":
			var l listLit
			for !p.accept("]") {
				if len(l.items) > 0 {
					if err := p.expect(","); err != nil {
						return nil, err
					}
					if p.accept("]") {
						break
					}
				}
				v, err := p.ternary()
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, v)
			}
			return l, nil
		case "{":
			var d dictLit
			for !p.accept("}") {
				if len(d.keys) > 0 {
					if err := p.expect(","); err != nil {
						return nil, err
					}
					if p.accept("}") {
						break
					}
				}
				k, err := p.ternary()
				if err != nil {
					return nil, err
				}
				if err := p.expect(":"); err != nil {
					return nil, err
				}
				v, err := p.ternary()
				if err != nil {
					return nil, err
				}
				d.keys, d.vals = append(d.keys, k), append(d.vals, v)
			}
			return d, nil
		}
	}
	if t.kind == 0 {
		return nil, fmt.Errorf("unexpected end of expression")
	}
	return nil, fmt.Errorf("unexpected %q", t.s)
}
