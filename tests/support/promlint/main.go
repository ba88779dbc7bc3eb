// Command promlint is `promtool check metrics` without Prometheus: it reads the Prometheus text
// exposition format on stdin, parses it with expfmt's TextParser and lints it with client_golang's
// promlint, the same two packages promtool uses.
//
// Output and exit codes follow promtool: each problem on stderr as "<metric> <text>", exit 3 when
// there is one; a parse error on stderr as "error while linting: <err>", exit 1; exit 0 and no
// output for clean metrics.
package main

import (
	"fmt"
	"os"
	"sort"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const (
	successExitCode = 0
	failureExitCode = 1
	lintErrExitCode = 3
)

func main() {
	os.Exit(check())
}

func check() int {
	// Legacy names, as promtool's decoder uses for text/plain; version=0.0.4 without escaping.
	parser := expfmt.NewTextParser(model.LegacyValidation)
	byName, err := parser.TextToMetricFamilies(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error while linting:", err)
		return failureExitCode
	}
	families := make([]*dto.MetricFamily, 0, len(byName))
	for _, mf := range byName {
		families = append(families, mf)
	}
	sort.Slice(families, func(i, j int) bool { return families[i].GetName() < families[j].GetName() })

	problems, err := promlint.NewWithMetricFamilies(families).Lint()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error while linting:", err)
		return failureExitCode
	}
	for _, p := range problems {
		fmt.Fprintln(os.Stderr, p.Metric, p.Text)
	}
	if len(problems) > 0 {
		return lintErrExitCode
	}
	return successExitCode
}
