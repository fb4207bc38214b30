package intent

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
)

// The JUnit XML that CI systems display (Jenkins, GitLab, GitHub actions
// that read test reports): one test suite for the topology, one test case
// per expectation, named after the rule and carrying its file and line.
// A failing rule's failure holds its problems and the trace of its first
// failing pair, as WriteText prints them.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		Classname string        `xml:"classname,attr"`
		File      string        `xml:"file,attr,omitempty"`
		Line      int           `xml:"line,attr,omitempty"`
		Time      string        `xml:"time,attr"`
		Failure   *junitFailure `xml:"failure,omitempty"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",cdata"`
	}
)

// WriteJUnit writes the report as JUnit XML: a test case per expectation.
func (r *Report) WriteJUnit(w io.Writer) error {
	secs := fmt.Sprintf("%.3f", r.Seconds)
	suite := junitSuite{Name: "vpcsim check " + r.Topology, Tests: r.Expectations, Failures: r.Failed, Time: secs,
		Properties: []junitProperty{
			{Name: "topology", Value: r.Topology},
			{Name: "file", Value: r.File},
			{Name: "probed", Value: fmt.Sprint(r.Probed)},
			{Name: "pairs", Value: fmt.Sprint(r.Pairs)},
			{Name: "disagreements", Value: fmt.Sprint(r.Disagreements)},
		}}
	for i := range r.Results {
		rr := &r.Results[i]
		c := junitCase{
			Name:      fmt.Sprintf("%d:%d %s", rr.Rule.Line, rr.Rule.Col, rr.Rule.String()),
			Classname: "vpcsim.check." + r.Topology,
			File:      rr.Rule.File,
			Line:      rr.Rule.Line,
			Time:      "0",
		}
		if !rr.Pass {
			fails := rr.Failures()
			var body bytes.Buffer
			writeFailures(&body, rr)
			c.Failure = &junitFailure{
				Message: fmt.Sprintf("%s: %d of %s fail: %s -> %s: %s", rr.Rule.Where(), len(fails), plural(len(rr.Outcomes), "pair"), fails[0].From, fails[0].To, fails[0].Problem),
				Type:    fails[0].Failure,
				Body:    body.String(),
			}
		}
		suite.Cases = append(suite.Cases, c)
	}
	doc := junitSuites{Name: "vpcsim check", Tests: suite.Tests, Failures: suite.Failures, Time: secs, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
