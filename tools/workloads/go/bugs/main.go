// bugs reproduces blocking-bug patterns of real Go projects, and healthy
// programs that look like them, one pattern per run:
//
//	bugs -list            one line per pattern: NAME KIND SUMMARY
//	bugs PATTERN          run it until its bug has happened (or the healthy
//	                      program has settled), print READY, then one JSON
//	                      line with the ground truth, then keep running
//
// The ground truth is the program's own goroutine dump (runtime.Stack with
// all=true): every goroutine but main that is parked at that moment, with
// its goid, the runtime's wait reason and its innermost function of package
// main. For a bug these are the goroutines the bug left blocked forever;
// for a healthy look-alike they are parked by design (a pool, a listener, a
// service loop) and may well run again later.
//
// One binary for every pattern keeps the build to one link per toolchain.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

type kind string

const (
	bug     kind = "bug"
	healthy kind = "healthy"
)

// A pattern starts its goroutines and returns how many of them must be
// parked before the run is ready (for a bug: the goroutines it leaves
// blocked; for a healthy program: those that rest by design).
type pattern struct {
	kind    kind
	summary string
	start   func() int
}

var patterns = map[string]pattern{}

func register(name string, k kind, summary string, start func() int) {
	if _, dup := patterns[name]; dup {
		panic("pattern registered twice: " + name)
	}
	patterns[name] = pattern{k, summary, start}
}

type parkedGoroutine struct {
	Goid int64  `json:"goid"`
	Wait string `json:"wait"`
	Func string `json:"func"`
}

type groundTruth struct {
	Pattern    string            `json:"pattern"`
	Kind       kind              `json:"kind"`
	Summary    string            `json:"summary"`
	Goroutines int               `json:"goroutines"`
	Parked     []parkedGoroutine `json:"parked"`
}

var header = regexp.MustCompile(`^goroutine (\d+) \[([^,\]]+)`)

// parkedNow parses the runtime's own dump of every goroutine.
func parkedNow() []parkedGoroutine {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := []parkedGoroutine{}
	for _, block := range strings.Split(string(buf), "\n\n") {
		lines := strings.Split(block, "\n")
		m := header.FindStringSubmatch(lines[0])
		if m == nil {
			continue
		}
		goid, _ := strconv.ParseInt(m[1], 10, 64)
		wait := m[2]
		if goid == 1 || wait == "running" || wait == "runnable" || wait == "syscall" {
			continue
		}
		// frames alternate: "pkg.func(args)" then "\tfile:line"
		fn := ""
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, "\t") || strings.HasPrefix(l, "created by ") {
				continue
			}
			if i := strings.LastIndexByte(l, '('); i > 0 {
				l = l[:i]
			}
			if fn == "" && !strings.HasPrefix(l, "runtime.") {
				fn = l // the first frame outside the runtime, until a main one
			}
			if strings.HasPrefix(l, "main.") {
				fn = l
				break
			}
		}
		out = append(out, parkedGoroutine{goid, wait, fn})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Goid < out[j].Goid })
	return out
}

// settle waits until at least want goroutines are parked and, for a bug,
// their number has not moved for 300 ms (the bug has happened); a healthy
// program that keeps working gets 300 ms past start-up instead.
func settle(want int, k kind) []parkedGoroutine {
	deadline := time.Now().Add(10 * time.Second)
	last, since := -1, time.Now()
	for {
		p := parkedNow()
		if len(p) != last {
			last, since = len(p), time.Now()
		}
		if len(p) >= want && time.Since(since) >= 300*time.Millisecond && !sleeping(p) {
			return p
		}
		if len(p) >= want && k == healthy {
			time.Sleep(300 * time.Millisecond)
			return parkedNow()
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "bugs: %d goroutines parked, wanted %d\n", len(p), want)
			os.Exit(1)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sleeping: a bug's goroutine is still in a pause before its blocking step.
func sleeping(parked []parkedGoroutine) bool {
	for _, g := range parked {
		if g.Wait == "sleep" {
			return true
		}
	}
	return false
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bugs -list | bugs PATTERN")
		os.Exit(2)
	}
	if os.Args[1] == "-list" {
		names := make([]string, 0, len(patterns))
		for n := range patterns {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("%s %s %s\n", n, patterns[n].kind, patterns[n].summary)
		}
		return
	}
	p, ok := patterns[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "bugs: unknown pattern %q (bugs -list)\n", os.Args[1])
		os.Exit(2)
	}
	parked := settle(p.start(), p.kind)
	// as a long-running program would have by the time anyone looks: the
	// garbage of the start-up collected (not the bug's goroutines)
	runtime.GC()
	truth, _ := json.Marshal(groundTruth{os.Args[1], p.kind, p.summary,
		runtime.NumGoroutine(), parked})
	fmt.Println("READY")
	fmt.Println(string(truth))
	// main rests in a sleep, so the runtime never sees "all goroutines are
	// asleep" and the blocked ones stay as they are
	for {
		time.Sleep(time.Hour)
	}
}
