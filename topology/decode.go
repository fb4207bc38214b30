package topology

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
)

// This file turns the YAML syntax tree into raw, positioned values. It knows
// the shape of the file (which keys exist, which type each has) and nothing
// of its meaning: validate.go checks that and builds the model.

// field is one scalar of the file: its value, the position of the value (or of
// its key when the value is null) and whether it was given a non-null value.
type field[T any] struct {
	V   T
	Pos Pos
	Set bool
}

type rawTopology struct {
	Pos            Pos
	Name           field[string]
	Region         field[string]
	MTU            field[int]
	PeeringExpiry  field[string]
	PeeringsPerVPC field[int]
	Accounts       []rawAccount
	VPCs           []rawVPC
	Peerings       []rawPeering
	Expect         []rawExpectation
}

type rawAccount struct {
	Pos  Pos
	ID   field[string]
	Name field[string]
}

type rawVPC struct {
	Pos         Pos
	ID          field[string]
	Name        field[string]
	Account     field[string]
	Region      field[string]
	CIDR        field[string]
	Subnets     []rawSubnet
	RouteTables []rawRouteTable
	Hosts       []rawHost
}

type rawSubnet struct {
	Pos        Pos
	ID         field[string]
	CIDR       field[string]
	RouteTable field[string]
}

type rawRouteTable struct {
	Pos    Pos
	ID     field[string]
	Routes []rawRoute
}

type rawRoute struct {
	Pos         Pos
	Destination field[string]
	NextHopType field[string]
	NextHop     field[string]
}

type rawHost struct {
	Pos    Pos
	Name   field[string]
	Subnet field[string]
	IP     field[string]
}

type rawPeering struct {
	Pos         Pos
	ID          field[string]
	Name        field[string]
	VPC         field[string]
	PeerVPC     field[string]
	PeerAccount field[string]
	Accepted    field[bool]
	Status      field[string]
}

type rawExpectation struct {
	Pos      Pos
	From     field[string]
	To       field[string]
	Protocol field[string]
	Port     field[int]
	Reach    field[bool]
	Because  field[string]
}

// decoder walks the syntax tree of one document, collecting errors.
type decoder struct {
	file    string
	errs    *ErrorList
	anchors map[string]ast.Node

	// What aliases repeated so far, in nodes, and the size of each
	// anchored value followed (computed once). Past MaxAliasNodes,
	// refused is set and aliases resolve to nothing.
	aliased int
	sizes   map[ast.Node]int
	refused bool
}

func newDecoder(file string, errs *ErrorList) *decoder {
	return &decoder{file: file, errs: errs, anchors: make(map[string]ast.Node), sizes: make(map[ast.Node]int)}
}

func (d *decoder) errorf(pos Pos, format string, args ...any) {
	d.errs.Add(d.file, pos, format, args...)
}

// posOf returns the position of n: for a mapping, that of its first key.
func posOf(n ast.Node) Pos {
	switch m := n.(type) {
	case nil:
		return Pos{Line: 1, Col: 1}
	case *ast.MappingNode:
		if len(m.Values) > 0 && m.Values[0].Key != nil {
			return posOf(m.Values[0].Key)
		}
	case *ast.MappingValueNode:
		if m.Key != nil {
			return posOf(m.Key)
		}
	case *ast.AnchorNode:
		// The anchor's own token ("&name") is where the value starts.
		if m.Start != nil {
			return tokenPos(m.Start.Position.Line, m.Start.Position.Column)
		}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return Pos{Line: 1, Col: 1}
	}
	return tokenPos(tk.Position.Line, tk.Position.Column)
}

func tokenPos(line, col int) Pos {
	if line < 1 {
		line = 1
	}
	if col < 1 {
		col = 1
	}
	return Pos{Line: line, Col: col}
}

// maxAliasHops bounds the anchors and aliases followed to reach one value.
const maxAliasHops = 64

// MaxAliasNodes bounds what aliases may repeat: every time an alias is
// followed, the YAML nodes of the value it stands for (each scalar, key,
// list and mapping in it) are counted, and a file whose aliases repeat
// more than MaxAliasNodes nodes in all is refused. Without a bound, aliases
// of aliases make a small file stand for an exponentially large one; with
// it, decoding costs at most this much more than a file without aliases.
// Aliasing an account id or a list of routes stays well within it.
const MaxAliasNodes = 10_000

// resolve follows anchors and aliases to the node that holds the value. It
// returns nil, after reporting an error, for an alias to an unknown anchor
// and for one past MaxAliasNodes; once aliases are refused, every later
// alias resolves to nil without another error.
func (d *decoder) resolve(n ast.Node) ast.Node {
	for hops := 0; ; hops++ {
		if hops > maxAliasHops {
			d.errorf(posOf(n), "alias chain is too long or circular")
			return nil
		}
		switch v := n.(type) {
		case *ast.AnchorNode:
			// An alias inside the anchored value may refer back to it; the
			// walk still ends because every level of the file expects a
			// fixed kind of node and the schema is only a few levels deep.
			if v.Name != nil && v.Name.GetToken() != nil {
				d.anchors[v.Name.GetToken().Value] = v.Value
			}
			n = v.Value
		case *ast.AliasNode:
			name := ""
			if v.Value != nil {
				name = v.Value.GetToken().Value
			}
			target, ok := d.anchors[name]
			if !ok {
				d.errorf(posOf(v), "alias *%s refers to an unknown anchor", clip(name))
				return nil
			}
			if !d.charge(v, target) {
				return nil
			}
			n = target
		default:
			return n
		}
	}
}

// charge counts what following alias to target repeats, and reports
// whether the file's aliases are still within MaxAliasNodes.
func (d *decoder) charge(alias *ast.AliasNode, target ast.Node) bool {
	if d.refused {
		return false
	}
	size, ok := d.sizes[target]
	if !ok {
		size = nodeCount(target)
		d.sizes[target] = size
	}
	if d.aliased += size; d.aliased > MaxAliasNodes {
		d.refused = true
		d.errorf(posOf(alias), "aliases repeat more than %d YAML nodes; write the values out instead", MaxAliasNodes)
		return false
	}
	return true
}

// nodeCount returns the number of YAML nodes in n: scalars, keys, lists and
// mappings. Aliases inside n count as one node; they are charged when
// they are followed.
func nodeCount(n ast.Node) int {
	switch v := n.(type) {
	case nil:
		return 0
	case *ast.MappingNode:
		c := 1
		for _, mv := range v.Values {
			c += nodeCount(mv)
		}
		return c
	case *ast.MappingValueNode:
		return nodeCount(v.Key) + nodeCount(v.Value)
	case *ast.SequenceNode:
		c := 1
		for _, e := range v.Values {
			c += nodeCount(e)
		}
		return c
	case *ast.AnchorNode:
		return nodeCount(v.Value)
	case *ast.TagNode:
		return nodeCount(v.Value)
	}
	return 1
}

// MaxValueLen is the longest scalar, in bytes, that the decoder keeps
// whole. No valid value is that long (an id has at most MaxIDLen
// characters, a display name MaxLabelLen); a longer one is cut and marked
// with "…", so it stays invalid while every check of it and every message
// quoting it stays short, however often an alias repeats it.
const MaxValueLen = 256

// clip cuts s to at most MaxValueLen bytes, at a character boundary, and
// marks the cut with "…".
func clip(s string) string {
	if len(s) <= MaxValueLen {
		return s
	}
	i := MaxValueLen
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// kindOf names the YAML kind of n for type errors.
func kindOf(n ast.Node) string {
	switch v := n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode:
		return fmt.Sprintf("string %q", clip(v.Value))
	case *ast.LiteralNode:
		return "a block string"
	case *ast.IntegerNode:
		return fmt.Sprintf("integer %s", clip(v.Token.Value))
	case *ast.FloatNode:
		return fmt.Sprintf("number %s", clip(v.Token.Value))
	case *ast.BoolNode:
		return fmt.Sprintf("boolean %t", v.Value)
	case *ast.InfinityNode, *ast.NanNode:
		return "a special number"
	case *ast.TagNode:
		return fmt.Sprintf("tagged value %s", clip(v.Start.Value))
	case *ast.NullNode:
		return "null"
	}
	return n.Type().String()
}

// entries returns the key/value pairs of a mapping node, or reports that n
// is not a mapping. A null node is an empty mapping.
func (d *decoder) entries(n ast.Node, what string) ([]*ast.MappingValueNode, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}, true
	}
	d.errorf(posOf(n), "%s: want a mapping, got %s", what, kindOf(n))
	return nil, false
}

// fields decodes the mapping n, calling set for each key in keys; any other
// key is an error. what names the mapping in errors.
func (d *decoder) fields(n ast.Node, what string, keys []string, set func(key string, v ast.Node, keyPos Pos)) {
	values, ok := d.entries(n, what)
	if !ok {
		return
	}
	for _, mv := range values {
		if mv == nil || mv.Key == nil {
			continue
		}
		keyPos := posOf(mv.Key)
		key, ok := mv.Key.(*ast.StringNode)
		if !ok {
			if mv.Key.IsMergeKey() {
				d.errorf(keyPos, "%s: merge keys (<<) are not supported", what)
			} else {
				d.errorf(keyPos, "%s: keys must be plain strings, got %s", what, kindOf(mv.Key))
			}
			continue
		}
		known := false
		for _, k := range keys {
			if k == key.Value {
				known = true
				break
			}
		}
		if !known {
			d.errorf(keyPos, "unknown field %q in %s; valid fields: %s", clip(key.Value), what, strings.Join(keys, ", "))
			continue
		}
		v := d.resolve(mv.Value)
		if v == nil {
			continue
		}
		set(key.Value, v, keyPos)
	}
}

// isNull reports whether n is a YAML null (an empty value or "null" / "~").
func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return ok
}

// valuePos is where a value's error points: the value itself, or its key when
// the value is null (an empty value has no token of its own worth showing).
func valuePos(v ast.Node, keyPos Pos) Pos {
	if v == nil || isNull(v) {
		return keyPos
	}
	return posOf(v)
}

// str decodes a string field. Quoted and plain strings, block strings and
// values tagged !!str are strings; numbers and booleans are not.
func (d *decoder) str(v ast.Node, keyPos Pos, key string) field[string] {
	f := field[string]{Pos: valuePos(v, keyPos)}
	switch s := v.(type) {
	case *ast.NullNode:
		return f
	case *ast.StringNode:
		f.V, f.Set = clip(s.Value), true
		return f
	case *ast.LiteralNode:
		if s.Value != nil {
			f.V, f.Set = clip(s.Value.Value), true
		}
		return f
	case *ast.TagNode:
		if s.Start != nil && s.Start.Value == "!!str" {
			if tk := s.Value; tk != nil {
				if _, scalar := tk.(ast.ScalarNode); scalar && tk.GetToken() != nil {
					f.V, f.Set = clip(tk.GetToken().Value), true
					return f
				}
			}
		}
	}
	d.errorf(f.Pos, "%s: want a string, got %s", key, kindOf(v))
	return f
}

// digits decodes an account id: a string, or a plain unsigned integer kept as
// written (leading zeros included).
func (d *decoder) digits(v ast.Node, keyPos Pos, key string) field[string] {
	if n, ok := v.(*ast.IntegerNode); ok && n.Token != nil && allDigits(n.Token.Value) {
		return field[string]{V: clip(n.Token.Value), Pos: posOf(v), Set: true}
	}
	return d.str(v, keyPos, key)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// integer decodes an integer field.
func (d *decoder) integer(v ast.Node, keyPos Pos, key string) field[int] {
	f := field[int]{Pos: valuePos(v, keyPos)}
	switch n := v.(type) {
	case *ast.NullNode:
		return f
	case *ast.IntegerNode:
		switch x := n.Value.(type) {
		case int64:
			if x >= -1<<31 && x < 1<<31 {
				f.V, f.Set = int(x), true
				return f
			}
		case uint64:
			if x < 1<<31 {
				f.V, f.Set = int(x), true
				return f
			}
		}
		d.errorf(f.Pos, "%s: integer %s is out of range", key, clip(n.Token.Value))
		return f
	}
	d.errorf(f.Pos, "%s: want an integer, got %s", key, kindOf(v))
	return f
}

// boolean decodes a true/false field.
func (d *decoder) boolean(v ast.Node, keyPos Pos, key string) field[bool] {
	f := field[bool]{Pos: valuePos(v, keyPos)}
	switch b := v.(type) {
	case *ast.NullNode:
		return f
	case *ast.BoolNode:
		f.V, f.Set = b.Value, true
		return f
	}
	d.errorf(f.Pos, "%s: want true or false, got %s", key, kindOf(v))
	return f
}

// list calls item for each element of the sequence v. A null is an empty list.
func (d *decoder) list(v ast.Node, keyPos Pos, key string, item func(i int, n ast.Node)) {
	switch s := v.(type) {
	case *ast.NullNode:
		return
	case *ast.SequenceNode:
		for i, n := range s.Values {
			if n = d.resolve(n); n != nil {
				item(i, n)
			}
		}
		return
	}
	d.errorf(valuePos(v, keyPos), "%s: want a list, got %s", key, kindOf(v))
}

// topology decodes the document body.
func (d *decoder) topology(body ast.Node) *rawTopology {
	t := &rawTopology{Pos: posOf(body)}
	d.fields(body, "topology", []string{"name", "region", "mtu", "peering_expiry", "peerings_per_vpc", "accounts", "vpcs", "peerings", "expect"},
		func(key string, v ast.Node, kp Pos) {
			switch key {
			case "name":
				t.Name = d.str(v, kp, key)
			case "region":
				t.Region = d.str(v, kp, key)
			case "mtu":
				t.MTU = d.integer(v, kp, key)
			case "peering_expiry":
				t.PeeringExpiry = d.str(v, kp, key)
			case "peerings_per_vpc":
				t.PeeringsPerVPC = d.integer(v, kp, key)
			case "accounts":
				d.list(v, kp, key, func(i int, n ast.Node) { t.Accounts = append(t.Accounts, d.account(n)) })
			case "vpcs":
				d.list(v, kp, key, func(i int, n ast.Node) { t.VPCs = append(t.VPCs, d.vpc(n)) })
			case "peerings":
				d.list(v, kp, key, func(i int, n ast.Node) { t.Peerings = append(t.Peerings, d.peering(n)) })
			case "expect":
				d.list(v, kp, key, func(i int, n ast.Node) { t.Expect = append(t.Expect, d.expectation(n)) })
			}
		})
	return t
}

func (d *decoder) account(n ast.Node) rawAccount {
	a := rawAccount{Pos: posOf(n)}
	d.fields(n, "account", []string{"id", "name"}, func(key string, v ast.Node, kp Pos) {
		switch key {
		case "id":
			a.ID = d.digits(v, kp, key)
		case "name":
			a.Name = d.str(v, kp, key)
		}
	})
	return a
}

func (d *decoder) vpc(n ast.Node) rawVPC {
	vpc := rawVPC{Pos: posOf(n)}
	d.fields(n, "vpc", []string{"id", "name", "account", "region", "cidr", "subnets", "route_tables", "hosts"}, func(key string, v ast.Node, kp Pos) {
		switch key {
		case "id":
			vpc.ID = d.str(v, kp, key)
		case "name":
			vpc.Name = d.str(v, kp, key)
		case "account":
			vpc.Account = d.digits(v, kp, key)
		case "region":
			vpc.Region = d.str(v, kp, key)
		case "cidr":
			vpc.CIDR = d.str(v, kp, key)
		case "subnets":
			d.list(v, kp, key, func(i int, n ast.Node) { vpc.Subnets = append(vpc.Subnets, d.subnet(n)) })
		case "route_tables":
			d.list(v, kp, key, func(i int, n ast.Node) { vpc.RouteTables = append(vpc.RouteTables, d.routeTable(n)) })
		case "hosts":
			d.list(v, kp, key, func(i int, n ast.Node) { vpc.Hosts = append(vpc.Hosts, d.host(n)) })
		}
	})
	return vpc
}

func (d *decoder) subnet(n ast.Node) rawSubnet {
	s := rawSubnet{Pos: posOf(n)}
	d.fields(n, "subnet", []string{"id", "cidr", "route_table"}, func(key string, v ast.Node, kp Pos) {
		switch key {
		case "id":
			s.ID = d.str(v, kp, key)
		case "cidr":
			s.CIDR = d.str(v, kp, key)
		case "route_table":
			s.RouteTable = d.str(v, kp, key)
		}
	})
	return s
}

func (d *decoder) routeTable(n ast.Node) rawRouteTable {
	rt := rawRouteTable{Pos: posOf(n)}
	d.fields(n, "route table", []string{"id", "routes"}, func(key string, v ast.Node, kp Pos) {
		switch key {
		case "id":
			rt.ID = d.str(v, kp, key)
		case "routes":
			d.list(v, kp, key, func(i int, n ast.Node) { rt.Routes = append(rt.Routes, d.route(n)) })
		}
	})
	return rt
}

func (d *decoder) route(n ast.Node) rawRoute {
	r := rawRoute{Pos: posOf(n)}
	d.fields(n, "route", []string{"destination", "next_hop_type", "next_hop"}, func(key string, v ast.Node, kp Pos) {
		switch key {
		case "destination":
			r.Destination = d.str(v, kp, key)
		case "next_hop_type":
			r.NextHopType = d.str(v, kp, key)
		case "next_hop":
			r.NextHop = d.str(v, kp, key)
		}
	})
	return r
}

func (d *decoder) host(n ast.Node) rawHost {
	h := rawHost{Pos: posOf(n)}
	d.fields(n, "host", []string{"name", "subnet", "ip"}, func(key string, v ast.Node, kp Pos) {
		switch key {
		case "name":
			h.Name = d.str(v, kp, key)
		case "subnet":
			h.Subnet = d.str(v, kp, key)
		case "ip":
			h.IP = d.str(v, kp, key)
		}
	})
	return h
}

func (d *decoder) peering(n ast.Node) rawPeering {
	p := rawPeering{Pos: posOf(n)}
	d.fields(n, "peering", []string{"id", "name", "vpc", "peer_vpc", "peer_account", "accepted", "status"}, func(key string, v ast.Node, kp Pos) {
		switch key {
		case "id":
			p.ID = d.str(v, kp, key)
		case "name":
			p.Name = d.str(v, kp, key)
		case "vpc":
			p.VPC = d.str(v, kp, key)
		case "peer_vpc":
			p.PeerVPC = d.str(v, kp, key)
		case "peer_account":
			p.PeerAccount = d.digits(v, kp, key)
		case "accepted":
			p.Accepted = d.boolean(v, kp, key)
		case "status":
			p.Status = d.str(v, kp, key)
		}
	})
	return p
}

func (d *decoder) expectation(n ast.Node) rawExpectation {
	e := rawExpectation{Pos: posOf(n)}
	d.fields(n, "expectation", []string{"from", "to", "protocol", "port", "reach", "because"}, func(key string, v ast.Node, kp Pos) {
		switch key {
		case "from":
			e.From = d.str(v, kp, key)
		case "to":
			e.To = d.str(v, kp, key)
		case "protocol":
			e.Protocol = d.str(v, kp, key)
		case "port":
			e.Port = d.integer(v, kp, key)
		case "reach":
			e.Reach = d.boolean(v, kp, key)
		case "because":
			e.Because = d.str(v, kp, key)
		}
	})
	return e
}
