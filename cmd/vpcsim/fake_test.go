package main

import (
	"context"
	"testing"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/intent"
)

// fakeBackend answers the daemon's part of the API with the functions a
// test sets; the others fail with Internal.
type fakeBackend struct {
	status     func(acct string) (api.Status, error)
	stats      func(api.StatsFilter) (api.Stats, error)
	explain    func(req api.ExplainRequest) (*explain.Result, error)
	explainAll func(reqs []explain.Request, probe bool) ([]*explain.Result, error)
	intent     func() (intent.Plan, error)
	capture    func(req api.CaptureRequest) (api.CapturePoint, error)
	save       func() ([]byte, error)
}

var errNotFaked = control.Errorf(control.CodeInternal, "not faked")

func (f *fakeBackend) Status(acct string) (api.Status, error) {
	if f.status == nil {
		return api.Status{}, errNotFaked
	}
	return f.status(acct)
}

func (f *fakeBackend) Stats(_ string, filter api.StatsFilter) (api.Stats, error) {
	if f.stats == nil {
		return api.Stats{}, errNotFaked
	}
	return f.stats(filter)
}

func (f *fakeBackend) Explain(_ context.Context, _ string, req api.ExplainRequest) (*explain.Result, error) {
	if f.explain == nil {
		return nil, errNotFaked
	}
	return f.explain(req)
}

func (f *fakeBackend) ExplainAll(_ context.Context, _ string, reqs []explain.Request, probe bool) ([]*explain.Result, error) {
	if f.explainAll == nil {
		return nil, errNotFaked
	}
	return f.explainAll(reqs, probe)
}

func (f *fakeBackend) Intent(string) (intent.Plan, error) {
	if f.intent == nil {
		return intent.Plan{}, errNotFaked
	}
	return f.intent()
}

func (f *fakeBackend) CapturePoint(_ string, req api.CaptureRequest) (api.CapturePoint, error) {
	if f.capture == nil {
		return api.CapturePoint{}, errNotFaked
	}
	return f.capture(req)
}

func (f *fakeBackend) Shutdown(string) error { return nil }

func (f *fakeBackend) Save(string) ([]byte, error) {
	if f.save == nil {
		return nil, errNotFaked
	}
	return f.save()
}

func (f *fakeBackend) ServeConsole(string, api.ConsoleRequest) (api.Console, error) {
	return api.Console{}, errNotFaked
}

// serveFake serves the API of st (may be nil) and b on name.sock in the
// run directory set by tempRunDir until the test ends.
func serveFake(t *testing.T, name string, st *control.State, b api.Backend) {
	t.Helper()
	l, err := api.Listen(api.SocketPath(name))
	if err != nil {
		t.Fatal(err)
	}
	srv := api.NewServer(st, b, nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close(context.Background())
		<-done
	})
}
