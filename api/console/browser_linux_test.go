package console_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// The browser tests drive Debian's chromium (apt-get install chromium, or
// make test-deps) through the console of a launched topology, following
// the product documentation's procedures click by click, and check the
// result in real traffic. They write a screenshot of every page they see
// to $VPCSIM_SCREENSHOTS, or to a temporary directory; -update-docs
// writes the README's two to docs/.

var updateDocs = flag.Bool("update-docs", false, "write docs/console-peerings.png and docs/console-peering-detail.png")

func TestMain(m *testing.M) {
	// Records, sockets and saved states stay out of the real directories.
	dir, err := os.MkdirTemp("", "vpcsim-console-")
	if err != nil {
		panic(err)
	}
	os.Setenv(api.RunDirEnv, dir)
	os.Setenv(daemon.StateDirEnv, filepath.Join(dir, "state"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	me      = "100000000001"
	partner = "200000000002"
)

// labels are the words of the console the documentation's steps click, in
// one language.
type labels struct {
	lang                               string
	peerings, subnets                  string // navigation
	newPeering, confirm, cancel        string
	accept, reject, delete             string
	newRoute, editRoutes, save, create string
	active, pending                    string
	wuhan, unlimited                   string
}

var (
	zhLabels = labels{
		lang: "zh", peerings: "对等连接", subnets: "子网",
		newPeering: "新建", confirm: "确定", cancel: "取消",
		accept: "接受", reject: "拒绝", delete: "删除",
		newRoute: "新建路由策略", editRoutes: "编辑路由策略", save: "保存", create: "创建",
		active: "已连接", pending: "待接受", wuhan: "武汉", unlimited: "无上限",
	}
	enLabels = labels{
		lang: "en", peerings: "Peering connections", subnets: "Subnets",
		newPeering: "Create", confirm: "OK", cancel: "Cancel",
		accept: "Accept", reject: "Reject", delete: "Delete",
		newRoute: "Add route", editRoutes: "Edit routes", save: "Save", create: "Create",
		active: "Active", pending: "Pending acceptance", wuhan: "wuhan", unlimited: "Unlimited",
	}
)

// docTopology is the documentation's scenario, with a second account:
// VPC1 (子网A 192.168.1.0/24) and VPC2 (子网B 10.0.1.0/24) of one account
// in 武汉, VPC3 of another; no peering and no route yet.
const docTopology = `name: %s
region: wuhan
accounts:
  - {id: "100000000001", name: me}
  - {id: "200000000002", name: partner}
vpcs:
  - id: vpc1
    name: VPC1
    cidr: 192.168.0.0/16
    subnets: [{id: subnet-a, cidr: 192.168.1.0/24}]
    hosts: [{name: a1, subnet: subnet-a, ip: 192.168.1.10}]
  - id: vpc2
    name: VPC2
    cidr: 10.0.0.0/16
    subnets: [{id: subnet-b, cidr: 10.0.1.0/24}]
    hosts: [{name: b1, subnet: subnet-b, ip: 10.0.1.10}]
  - id: vpc3
    name: VPC3
    account: "200000000002"
    cidr: 172.16.0.0/16
    subnets: [{id: subnet-c, cidr: 172.16.1.0/24}]
    hosts: [{name: c1, subnet: subnet-c, ip: 172.16.1.10}]
`

var topoSeq atomic.Int32

// launch launches docTopology under a unique name with its console, and
// tears it down when the test ends, checking nothing is left.
func launch(t *testing.T) *daemon.Daemon {
	t.Helper()
	name := fmt.Sprintf("cb%d-%d", os.Getpid()%100000, topoSeq.Add(1))
	top, err := topology.Parse("console.yaml", fmt.Appendf(nil, docTopology, name))
	if err != nil {
		t.Fatal(err)
	}
	d, err := daemon.Launch(context.Background(), top, daemon.Options{Listen: true, ConsoleAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if left, _ := tun.List(name + "-"); len(left) > 0 {
			t.Errorf("namespaces left after Close: %v", left)
		}
	})
	return d
}

// chromium returns the browser to drive, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VPCSIM_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("needs a browser: apt-get install chromium (or make test-deps), or set VPCSIM_CHROMIUM")
	return ""
}

// newBrowser starts a headless chromium for the test, in a fresh profile,
// with nothing to fetch from the network but the console.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("accept-lang", "en-US"),
	}
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // chromium refuses root otherwise
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// page is a browser tab on a console, in one language.
type page struct {
	t     *testing.T
	ctx   context.Context
	base  string // the console's URL, without the trailing /
	l     labels
	shots string // where screenshots go
}

// stepTimeout bounds one step: a click and the page it loads.
const stepTimeout = 30 * time.Second

// do runs actions, failing the test with what was being done.
func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	run(p, what, chromedp.Steps(actions...))
}

// run runs action and returns its value, failing the test with what was
// being done. A page may update itself while an action looks for its
// target (a change made elsewhere, shown live): the action is tried again
// on the updated page.
func run[T any](p *page, what string, action chromedp.Action[T]) T {
	p.t.Helper()
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
		v, err := chromedp.Run(ctx, action)
		cancel()
		if err == nil {
			return v
		}
		if try == 3 || !strings.Contains(err.Error(), "node with given id") {
			p.shot("failed")
			p.t.Fatalf("%s: %v", what, err)
		}
	}
}

// loaded waits for a page other than the one marked stale to be loaded,
// its script run.
var loaded = chromedp.Steps(
	chromedp.WaitReady(chromedp.CSS(`html:not([data-stale]) #live`)),
	chromedp.Evaluate[chromedp.Void](`new Promise(done => document.readyState === "complete" ? done() : addEventListener("load", () => done()))`,
		chromedp.EvalAwaitPromise),
)

// load runs actions that load a new page (a click on a link, a form
// sent) and waits for that page.
func (p *page) load(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	mark := chromedp.Evaluate[chromedp.Void](`document.documentElement.dataset.stale = "1"`, chromedp.EvalIgnoreExceptions)
	p.do(what, append(append([]chromedp.Action[chromedp.Void]{mark}, actions...), loaded)...)
}

// open loads the console's path.
func (p *page) open(path string) {
	p.t.Helper()
	p.load("open "+path, chromedp.Navigate(p.base+path))
}

// click clicks what selector finds and waits for the page it loads.
func (p *page) click(what string, sel string) {
	p.t.Helper()
	p.load("click "+what, chromedp.Click(chromedp.Search(sel)))
}

// clickText clicks the link or button showing text (the documentation's
// 【text】), within the selector scope ("" for the page).
func (p *page) clickText(scope, text string) {
	p.t.Helper()
	p.click("【"+text+"】", fmt.Sprintf(`%s//*[self::a or self::button][normalize-space()=%s]`, scope, xpathString(text)))
}

// choose picks the option of the select sel whose text contains text, as
// a person would (the change event fires).
func (p *page) choose(sel, text string, loads bool) {
	p.t.Helper()
	js := fmt.Sprintf(`(() => {
		const s = document.querySelector(%s);
		const o = s && [...s.options].find(o => o.textContent.includes(%s));
		if (!o) return false;
		s.value = o.value;
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`, jsString(sel), jsString(text))
	act := func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		ok, err := chromedp.Evaluate[bool](js)(ctx, tg)
		if err == nil && !ok {
			err = fmt.Errorf("no option %q in %s", text, sel)
		}
		return chromedp.Void{}, err
	}
	what := fmt.Sprintf("choose %q in %s", text, sel)
	if loads {
		p.load(what, act)
		return
	}
	p.do(what, chromedp.WaitVisible(chromedp.CSS(sel)), act)
}

// typeIn types text into the input sel.
func (p *page) typeIn(sel, text string) {
	p.t.Helper()
	p.do(fmt.Sprintf("type %q in %s", text, sel), chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// text returns the visible text of sel.
func (p *page) text(sel string) string {
	p.t.Helper()
	return run(p, "text of "+sel, chromedp.Text(chromedp.Search(sel)))
}

// eval evaluates a JavaScript expression of the page.
func eval[T any](p *page, js string) T {
	p.t.Helper()
	return run(p, "eval "+js, chromedp.Evaluate[T](js))
}

// gone waits until nothing matches sel.
func (p *page) gone(what, sel string) {
	p.t.Helper()
	p.do(what, chromedp.WaitNotPresent(chromedp.Search(sel)))
}

// shot writes a screenshot of the whole page as NAME-LANG.png.
func (p *page) shot(name string) string {
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return ""
	}
	file := filepath.Join(p.shots, name+"-"+p.l.lang+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
	}
	return file
}

// row is the XPath of the peering list's row of the peering named name.
func row(name string) string {
	return fmt.Sprintf(`//tr[@data-peering][.//div[@class="name"][normalize-space()=%s]]`, xpathString(name))
}

// peeringID returns the id of the listed peering named name.
func (p *page) peeringID(name string) string {
	p.t.Helper()
	a := run(p, "the id of "+name, chromedp.AttributeValue(chromedp.Search(row(name)), "data-peering"))
	if !a.Exists {
		p.t.Fatalf("no peering %q listed", name)
	}
	return a.Value
}

// switchAccount opens the account menu (top right) and switches to acct.
func (p *page) switchAccount(acct string) {
	p.t.Helper()
	p.do("open the account menu", chromedp.Evaluate[chromedp.Void](`document.getElementById("account-menu").open = true`, chromedp.EvalIgnoreExceptions))
	p.click("switch to "+acct, fmt.Sprintf(`//form[@action="/account"]//button[@value=%s]`, xpathString(acct)))
	if got := eval[string](p, `document.getElementById("account-id").textContent`); got != acct {
		p.t.Fatalf("after switching to %s, the account menu shows %s", acct, got)
	}
}

func xpathString(s string) string { return `"` + s + `"` } // the tests' strings have no quote
func jsString(s string) string    { b, _ := json.Marshal(s); return string(b) }

// ping reports whether one ping from host reaches ip, trying a few times
// when it should.
func ping(t *testing.T, d *daemon.Daemon, host, ip string, want bool) {
	t.Helper()
	ns := d.Topology.Namespace(host)
	tries := 1
	if want {
		tries = 3
	}
	var out []byte
	var err error
	for range tries {
		wait := "1" // seconds: what does not come in one will not come
		if want {
			wait = "2"
		}
		out, err = tun.Exec(ns, "ping", "-n", "-c", "1", "-W", wait, ip).CombinedOutput()
		if err == nil {
			break
		}
	}
	if got := err == nil; got != want {
		t.Fatalf("ping from %s to %s: ok = %v, want %v\n%s", host, ip, got, want, out)
	}
}

// TestNSConsoleDocumentation follows the product documentation's
// procedures in the console, in Chinese and in English, on a launched
// topology, and checks each in real traffic: 快速入门 steps 1 to 3 within
// an account and across accounts, 查看对等连接相关的路由策略, 拒绝对等连接,
// 删除对等连接 and 查看对端账号ID; and that a change made from the command
// line shows in an open page without a reload.
func TestNSConsoleDocumentation(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	ctx := newBrowser(t)
	shots := os.Getenv("VPCSIM_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	// One after the other: the browser is the bottleneck, and two flows at
	// once take as long as both in turn.
	for _, l := range []labels{zhLabels, enLabels} {
		t.Run(l.lang, func(t *testing.T) { documentation(t, ctx, l, shots) })
	}
	if *updateDocs {
		for from, to := range map[string]string{"peerings-partner-zh.png": "console-peerings.png", "peering-detail-zh.png": "console-peering-detail.png"} {
			b, err := os.ReadFile(filepath.Join(shots, from))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join("..", "..", "docs", to), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// documentation is TestNSConsoleDocumentation in one language, on a
// topology of its own, in a tab of the browser ctx.
func documentation(t *testing.T, ctx context.Context, l labels, shots string) {
	start := time.Now()
	d := launch(t)
	info, ok := d.Console()
	if !ok {
		t.Fatal("the daemon serves no console")
	}
	// A browser context of its own: no cookie of the other language's run.
	tab, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(tab); err != nil { // opens the tab, for as long as tab lives
		t.Fatal(err)
	}
	// The page's script must run, under the page's policy, without failing.
	var mu sync.Mutex
	var problems []string
	go func() {
		for m, err := range chromedp.Console(tab) {
			if err != nil {
				return
			}
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()
	p := &page{t: t, ctx: tab, base: strings.TrimSuffix(info.URL, "/"), l: l, shots: shots}
	followDocumentation(t, p, d)
	mu.Lock()
	for _, m := range problems {
		t.Errorf("browser console: %s", m)
	}
	mu.Unlock()
	t.Logf("%s: the documentation followed in %v; screenshots in %s", l.lang, time.Since(start).Round(time.Millisecond), shots)
}

// followDocumentation is the documentation's procedures, on the page p of
// the console of d.
func followDocumentation(t *testing.T, p *page, d *daemon.Daemon) {
	l := p.l
	p.open("/")
	if !strings.HasPrefix(eval[string](p, `document.documentElement.lang`), l.lang) {
		p.load("language", chromedp.Click(chromedp.CSS("#lang-"+l.lang)))
	}
	if got := eval[string](p, `document.documentElement.lang`); !strings.HasPrefix(got, l.lang) {
		t.Fatalf("after choosing %s, the page's language is %q", l.lang, got)
	}
	if n := eval[int](p, `document.querySelectorAll("script:not([src])").length`); n != 0 {
		t.Errorf("the page has %d inline scripts", n)
	}
	p.shot("vpcs")

	// 第一步：创建对等连接. 1) 点击导航条【私有网络】; 2) 选择【对等连接】选项卡,
	// 在列表上方选择地域：武汉，私有网络VPC1，然后点击【新建】.
	p.clickText(`//nav`, l.peerings)
	p.choose("#filter-region", l.wuhan, true)
	p.choose("#filter-vpc", "VPC1", true)
	p.clickText("", l.newPeering)
	if !eval[bool](p, `document.getElementById("new-peering-dialog").matches(":modal")`) {
		t.Error("the 新建 dialog is not modal: the console's script did not run")
	}
	// 3) 输入名称（如：PeerConn）、选择对端地域：武汉、对端账户类型及对端私有网络VPC2;
	// 当对端账户类型为"我的账户"时，直接从下拉列表中选择.
	p.typeIn("#pcx-name", "PeerConn")
	p.choose("#pcx-peer-region", l.wuhan, false)
	p.do("我的账户", chromedp.Click(chromedp.CSS("#peer-type-mine")))
	p.choose("#pcx-peer-vpc", "VPC2", false)
	// 4) 同地域对等连接带宽无上限，不可修改.
	if s := p.text(`#new-peering-dialog`); !strings.Contains(s, l.unlimited) {
		t.Errorf("the 新建 dialog does not say the bandwidth is %s", l.unlimited)
	}
	if n := eval[int](p, `document.querySelectorAll("#new-peering-dialog input[name*=bandwidth], #new-peering-dialog select[name*=bandwidth]").length`); n != 0 {
		t.Error("the bandwidth can be changed")
	}
	p.shot("new-peering")
	p.clickText(`//dialog`, l.confirm)
	// 5) 同账户内私有网络进行连接，新建后对等连接立即生效.
	pcx := p.peeringID("PeerConn")
	if s := p.text(row("PeerConn")); !strings.Contains(s, l.active) || !strings.Contains(s, "10.0.0.0/16") {
		t.Errorf("PeerConn's row %q: want %s and the peer CIDR", s, l.active)
	}
	ping(t, d, "a1", "10.0.1.10", false) // no route yet, at either end

	// 第三步：为对等连接配置本端和对端路由表. 1) 选择【子网】选项卡; 2) 点击子网A的
	// 关联路由表的ID，进入路由表的详情页; 3) 点击编辑路由策略。目的端中填入对端 CIDR
	// (10.0.1.0/24)，下一跳类型选择【对等连接】，下一跳选择 PeerConn; 4) 保存路由表.
	p.clickText(`//nav`, l.subnets)
	p.shot("subnets")
	p.click("路由表A", `//tr[@data-subnet="subnet-a"]//a[contains(@class,"rtb")]`)
	p.clickText("", l.editRoutes)
	p.typeIn("#new-destination", "10.0.1.0/24")
	p.choose("#new-next-hop", "PeerConn", false)
	p.clickText("", l.save)
	p.shot("route-table")
	// 对端路由表的配置同上: the 最佳实践 way, 【新建路由策略】 then 【创建】.
	p.clickText(`//nav`, l.subnets)
	p.click("路由表B", `//tr[@data-subnet="subnet-b"]//a[contains(@class,"rtb")]`)
	p.clickText("", l.newRoute)
	p.typeIn("#route-destination", "192.168.1.0/24")
	p.choose("#route-next-hop", "PeerConn", false)
	p.shot("new-route")
	p.clickText(`//dialog`, l.create)
	if s := p.text(`#routes`); !strings.Contains(s, "192.168.1.0/24") || !strings.Contains(s, pcx) {
		t.Errorf("route table B after 创建: %q", s)
	}
	// An error is shown inline, with its code.
	p.clickText("", l.newRoute)
	p.typeIn("#route-destination", "192.168.1.0/24")
	p.clickText(`//dialog`, l.create)
	if s := p.text(`#new-route-dialog .error`); !strings.Contains(s, string(control.CodeRouteAlreadyExists)) {
		t.Errorf("the same route again: dialog error %q, want RouteAlreadyExists", s)
	}
	p.shot("route-error")
	p.load("close the dialog", chromedp.Click(chromedp.Search(`//dialog//a[normalize-space()="`+l.cancel+`"]`)))
	ping(t, d, "a1", "10.0.1.10", true)
	ping(t, d, "b1", "192.168.1.10", true)

	// 查看对等连接相关的路由策略: 在列表上方筛选地域和私有网络，点击对等连接的ID.
	p.clickText(`//nav`, l.peerings)
	p.choose("#filter-region", l.wuhan, true)
	p.choose("#filter-vpc", "VPC1", true)
	p.shot("peerings")
	p.click("PeerConn's ID", row("PeerConn")+`//a[contains(@class,"pcx")]`)
	related := p.text(`#related-routes`)
	for _, want := range []string{"10.0.1.0/24", "vpc1-default", "subnet-a", "192.168.1.0/24", "vpc2-default", "subnet-b"} {
		if !strings.Contains(related, want) {
			t.Errorf("相关路由策略 %q: no %s", related, want)
		}
	}
	if v := p.text(`#explain-verdict`); v == "" {
		t.Error("the detail page has no explanation")
	}
	p.shot("peering-detail")

	// 查看对端账号ID: 点击右上角账号名称，查看账号ID — as the partner.
	p.switchAccount(partner)
	p.do("open the account menu", chromedp.Click(chromedp.CSS("#account-menu summary")))
	p.shot("account-menu")
	peerID := p.text(`#account-id`)
	p.switchAccount(me)

	// 第一步 across accounts: 当对端账户类型为"其他账户"时，需要手动输入对端账户的
	// 账号ID和私有网络的ID.
	p.clickText(`//nav`, l.peerings)
	p.clickText("", l.newPeering)
	p.typeIn("#pcx-name", "CrossConn")
	p.choose("#pcx-vpc", "VPC1", false)
	p.do("其他账户", chromedp.Click(chromedp.CSS("#peer-type-other")))
	p.typeIn("#pcx-peer-account", peerID)
	p.typeIn("#pcx-peer-vpc-id", "vpc3")
	p.clickText(`//dialog`, l.confirm)
	cross := p.peeringID("CrossConn")
	if s := p.text(row("CrossConn")); !strings.Contains(s, l.pending) {
		t.Errorf("CrossConn's row %q: want %s", s, l.pending)
	}
	// 第二步：接受对等连接: the other account finds the pending request and
	// clicks 【接受】.
	p.switchAccount(partner)
	p.clickText(`//nav`, l.peerings)
	p.choose("#filter-region", l.wuhan, true)
	p.shot("pending")
	p.clickText(row("CrossConn"), l.accept)
	if s := p.text(row("CrossConn")); !strings.Contains(s, l.active) {
		t.Errorf("CrossConn's row after 接受: %q, want %s", s, l.active)
	}
	// Both ends add their routes; then the hosts talk.
	p.clickText(`//nav`, l.subnets)
	p.click("the route table of subnet-c", `//tr[@data-subnet="subnet-c"]//a[contains(@class,"rtb")]`)
	p.clickText("", l.newRoute)
	p.typeIn("#route-destination", "192.168.1.0/24")
	p.choose("#route-next-hop", "CrossConn", false)
	p.clickText(`//dialog`, l.create)
	p.switchAccount(me)
	p.clickText(`//nav`, l.subnets)
	p.click("路由表A", `//tr[@data-subnet="subnet-a"]//a[contains(@class,"rtb")]`)
	p.clickText("", l.newRoute)
	p.typeIn("#route-destination", "172.16.1.0/24")
	p.choose("#route-next-hop", "CrossConn", false)
	p.clickText(`//dialog`, l.create)
	ping(t, d, "a1", "172.16.1.10", true)

	// 拒绝对等连接: 查看列表中待接受的对等连接，在操作栏中点击【拒绝】; 对等连接已拒绝并消失.
	p.clickText(`//nav`, l.peerings)
	p.clickText("", l.newPeering)
	p.typeIn("#pcx-name", "RejectMe")
	p.choose("#pcx-vpc", "VPC2", false)
	p.do("其他账户", chromedp.Click(chromedp.CSS("#peer-type-other")))
	p.typeIn("#pcx-peer-account", partner)
	p.typeIn("#pcx-peer-vpc-id", "vpc3")
	p.clickText(`//dialog`, l.confirm)
	rejected := p.peeringID("RejectMe")
	p.switchAccount(partner)
	p.clickText(`//nav`, l.peerings)
	p.shot("peerings-partner")
	p.clickText(row("RejectMe"), l.reject)
	p.gone("RejectMe disappears", row("RejectMe"))
	if got, _ := d.State.Peering(rejected); got.Status != control.StatusRejected {
		t.Errorf("%s is %s after 拒绝, want rejected", rejected, got.Status)
	}
	p.switchAccount(me)

	// 删除对等连接: 在操作栏中点击【删除】按钮; 确认删除后，对等连接即被删除, and
	// the routes over it with it.
	p.clickText(`//nav`, l.peerings)
	p.clickText(row("PeerConn"), l.delete)
	if !eval[bool](p, `document.getElementById("delete-dialog").matches(":modal")`) {
		t.Error("the delete confirmation is not modal")
	}
	p.shot("delete-confirm")
	p.clickText(`//dialog`, l.confirm)
	p.gone("PeerConn disappears", row("PeerConn"))
	cli := api.NewClient(api.SocketPath(d.Topology.Name), me)
	for _, table := range []string{"vpc1-default", "vpc2-default"} {
		rs, err := cli.Routes(context.Background(), table, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.NextHop == pcx {
				t.Errorf("after 删除, %s still routes %s over %s", table, r.Destination, pcx)
			}
		}
	}
	ping(t, d, "a1", "10.0.1.10", false)
	ping(t, d, "a1", "172.16.1.10", true) // the other peering carries on

	// A change made from the command line shows in the open list, without
	// a reload; its name, made to run script, shows as text.
	p.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.vpcsimMark = 1`, chromedp.EvalIgnoreExceptions))
	const hostile = `<img src=x onerror="window.vpcsimPwned=1">'&中文`
	changed := time.Now()
	fromCLI, err := cli.CreatePeering(context.Background(), control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", Name: hostile})
	if err != nil {
		t.Fatal(err)
	}
	fromRow := fmt.Sprintf(`tr[data-peering=%q]`, fromCLI.ID)
	p.do("the CLI's peering shows", chromedp.WaitVisible(chromedp.CSS(fromRow)))
	t.Logf("%s: a peering created on the command line showed in the open page after %v", l.lang, time.Since(changed).Round(time.Millisecond))
	if eval[int](p, `window.vpcsimMark || 0`) != 1 {
		t.Error("the page was reloaded to show the change")
	}
	if got := eval[string](p, `document.querySelector(`+jsString(fromRow+" .name")+`).textContent`); got != hostile {
		t.Errorf("the CLI's peering is named %q on the page, want %q", got, hostile)
	}
	if eval[bool](p, `window.vpcsimPwned !== undefined || document.querySelector("#live img") !== null`) {
		t.Error("a peering's name ran as HTML in the page")
	}
	if _, err := cli.DeletePeering(context.Background(), fromCLI.ID); err != nil {
		t.Fatal(err)
	}
	p.gone("the CLI's deletion shows", `//tr[@data-peering="`+fromCLI.ID+`"]`)

	// The other pages, for the screenshots.
	p.open("/reach")
	if n := eval[int](p, `document.querySelectorAll("#matrix td.reachable").length`); n != 2 {
		t.Errorf("the matrix shows %d reachable pairs, want 2 (a1 and c1 both ways)", n)
	}
	p.shot("reach")
	p.click("a cell of the matrix", `//td[@data-src="a1"][@data-dst="b1"]/a`)
	p.shot("explain")
	p.open("/log")
	p.shot("log")
	if got, _ := d.State.Peering(cross); got.Status != control.StatusActive {
		t.Errorf("CrossConn %s is %s at the end, want active", cross, got.Status)
	}
}

// TestNSConsoleServedOnRequest: vpcsim console's request opens the console of a
// running topology, which serves pages of its own.
func TestNSConsoleServedOnRequest(t *testing.T) {
	tuntest.NeedRoot(t, "ping")
	name := fmt.Sprintf("cr%d-%d", os.Getpid()%100000, topoSeq.Add(1))
	top, err := topology.Parse("console.yaml", fmt.Appendf(nil, docTopology, name))
	if err != nil {
		t.Fatal(err)
	}
	d, err := daemon.Launch(context.Background(), top, daemon.Options{Listen: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, ok := d.Console(); ok {
		t.Fatal("a console without being asked")
	}
	info, err := api.NewClient(api.SocketPath(name), "").ServeConsole(context.Background(), ":0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(info.URL, "http://127.0.0.1:") {
		t.Errorf("ServeConsole(:0) = %+v, want a loopback URL", info)
	}
	ctx := newBrowser(t)
	p := &page{t: t, ctx: ctx, base: strings.TrimSuffix(info.URL, "/"), l: enLabels, shots: t.TempDir()}
	p.open("/vpcs")
	if s := p.text(`#vpcs`); !strings.Contains(s, "192.168.1.10") {
		t.Errorf("VPC page %q: no a1", s)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := tun.List(name + "-"); len(left) > 0 {
		t.Errorf("namespaces left after Close: %v", left)
	}
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx2, chromedp.Navigate(info.URL)); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the console answers after the topology is down: %v", err)
	}
}
