package console

import (
	"github.com/vpcsim/vpcsim/control"
)

// Text is every string the console shows, in one language: text_zh.go
// holds the Chinese, whose labels are the product documentation's, and
// text_en.go the English. A test checks that both fill every field and
// every code, status, drop reason and operation the product has.
//
// Fields ending in F are fmt formats with the arguments their comment
// names; the values they format are escaped like any other.
type Text struct {
	Lang     string // the language's code: "zh" or "en"
	LangName string // its name in itself

	Brand     string
	Topology  string
	Language  string
	NavVPCs   string
	NavSubnet string
	NavTables string
	NavPeer   string
	NavReach  string
	NavLog    string
	Live      string // that the page follows changes as they happen

	// The account menu.
	AccountID     string
	AccountName   string
	SwitchAccount string
	SwitchNote    string
	Acting        string

	// Words used everywhere.
	ID, Name, CIDR, Region, Account, Status, Actions string
	Subnets, Hosts, Host, Address, Gateway, VPC      string
	Confirm, Cancel, Create, Save, Edit, Delete      string
	Accept, Reject, New, None, All, Query, Close     string
	Time, Error, Yes, No                             string

	// Pages.
	VPCsTitle    string
	VPCsIntro    string
	SubnetsTitle string
	SubnetsIntro string
	RouteTable   string
	TablesTitle  string
	TablesIntro  string
	RouteCount   string

	// A route table.
	TableTitleF       string // the table's id
	Destination       string
	NextHopType       string
	NextHop           string
	HopLocal          string
	HopPeering        string
	NewRoute          string
	EditRoutes        string
	LocalRouteNote    string
	NoActivePeerings  string
	RemoveRoute       string
	NewRow            string
	EditNote          string
	RouteAddedF       string // destination
	RouteDeletedF     string // destination
	RoutesSaved       string
	AssociatedSubnets string

	// The peering list.
	PeeringsTitle string
	LocalVPC      string
	PeerVPC       string
	PeerAccount   string
	Bandwidth     string
	Unlimited     string
	CreatedAt     string
	ExpiresAt     string
	ShowEnded     string
	AllRegions    string
	AllVPCs       string
	NoPeerings    string
	Requester     string
	Accepter      string
	WaitingPeer   string
	AcceptCaution string

	// The 新建 dialog.
	NewPeeringTitle string
	LocalNetwork    string
	PeerRegion      string
	PeerAccountType string
	MyAccount       string
	OtherAccount    string
	PeerNetwork     string
	PeerAccountID   string
	PeerVPCID       string
	BandwidthNote   string
	CreateNote      string
	NoOwnVPCs       string

	// Deleting a peering.
	DeleteTitle    string
	DeleteQuestion string
	DeleteEffect   string

	// Notices after a change.
	CreatedF  string // peering id
	AcceptedF string // peering id
	RejectedF string // peering id
	DeletedF  string // peering id

	// A peering's detail.
	DetailTitle     string
	BasicInfo       string
	History         string
	ByAccount       string
	Nobody          string
	RelatedRoutes   string
	RelatedNote     string
	RelatedHidden   string
	NoRelatedRoutes string
	Side            string
	LocalSide       string
	PeerSide        string

	// Explain.
	ExplainTitle   string
	ExplainIntro   string
	Source         string
	Dest           string
	Protocol       string
	Port           string
	Analyse        string
	Forward        string
	Return         string
	Step           string
	Component      string
	Verdict        string
	Detail         string
	BlockedAt      string
	Fix            string
	DropCounted    string
	Probe          string
	ProbeSend      string
	ProbeAgrees    string
	ProbeDisagrees string
	ProbeNotSent   string
	Answered       string
	NotAnswered    string

	// Reachability.
	ReachTitle     string
	Matrix         string
	MatrixNote     string
	MatrixTooBigF  string // hosts, the most shown
	ProbeAll       string
	ProbeAllNote   string
	ProbeTooManyF  string // hosts, the most probed
	ProbedAtF      string // a time
	FromTo         string
	Drops          string
	DropsNote      string
	Received       string
	Packets        string
	Graph          string
	GraphNote      string
	MermaidText    string
	OtherAccountF  string // an account id
	NoDrops        string
	ReachableShort string // a cell that is reachable
	SelfCell       string

	// The operation log.
	LogTitle string
	LogIntro string
	Op       string
	Target   string
	Result   string
	Code     string
	Message  string
	NoEvents string

	// Errors of the console itself.
	CSRFRefused  string
	ErrorTitle   string
	PageNotFound string

	Statuses map[control.Status]string // a peering's status
	Codes    map[control.Code]string   // what an error code means
	Explains map[string]string         // explain's codes
	Verdicts map[string]string         // explain's verdicts
	DropsBy  map[string]string         // the routers' drop reasons
	Ops      map[control.Op]string     // the journal's operations
	Regions  map[string]string         // region ids the language has a name for
}

// texts are the languages, the default first.
var texts = []*Text{zh, en}

// textOf returns the language lang, or the default.
func textOf(lang string) *Text {
	for _, t := range texts {
		if t.Lang == lang {
			return t
		}
	}
	return texts[0]
}

// StatusName returns the name of a peering status.
func (t *Text) StatusName(s control.Status) string { return or(t.Statuses[s], string(s)) }

// CodeText returns what an error code means.
func (t *Text) CodeText(c control.Code) string { return t.Codes[c] }

// ExplainText returns what an explain code means.
func (t *Text) ExplainText(code string) string { return or(t.Explains[code], code) }

// VerdictName returns the name of an explain verdict.
func (t *Text) VerdictName(v string) string { return or(t.Verdicts[v], v) }

// DropName returns the name of a drop reason.
func (t *Text) DropName(reason string) string { return or(t.DropsBy[reason], reason) }

// OpName returns the name of a journal operation.
func (t *Text) OpName(op control.Op) string { return or(t.Ops[op], string(op)) }

// RegionName returns a region's name: its id, and the language's name for
// it when it has one ("武汉 (wuhan)").
func (t *Text) RegionName(id string) string {
	if n, ok := t.Regions[id]; ok {
		return n + " (" + id + ")"
	}
	return id
}

func or(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}
