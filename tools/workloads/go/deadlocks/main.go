// deadlocks: small deadlocks among 2-3 goroutines that each happen once, and
// their healthy twins, one pattern per run:
//
//	deadlocks -list         one line per pattern: NAME KIND SUMMARY
//	deadlocks PATTERN       run it until it has happened, print READY, then
//	                        one JSON line of ground truth, then keep running
//
// Every deadlock has a twin (NAME_twin, kind "twin") built from the same
// code whose objects stay reachable from a global (a registry, as a real
// service keeps its locks, queues and conditions where its other code can
// reach them). A twin's goroutines may be just as stuck, but nothing proves
// they cannot be woken: leaktrace must not call them leak or deadlock.
//
// The ground truth is the program's own goroutine dump (runtime.Stack):
// the goroutines parked at that moment, but main.
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

type pattern struct {
	summary string
	start   func(keep bool) int
}

var patterns = map[string]pattern{}

func register(name, summary string, start func(keep bool) int) {
	patterns[name] = pattern{summary, start}
}

// kept holds the twins' objects: reachable from a global for ever.
var kept []interface{}

func keepIf(keep bool, objs ...interface{}) {
	if keep {
		kept = append(kept, objs...)
	}
}

type parkedGoroutine struct {
	Goid int64  `json:"goid"`
	Wait string `json:"wait"`
}

var header = regexp.MustCompile(`^goroutine (\d+) \[([^,\]]+)`)

func parkedNow() []parkedGoroutine {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	out := []parkedGoroutine{}
	for _, block := range strings.Split(string(buf), "\n\n") {
		m := header.FindStringSubmatch(block)
		if m == nil {
			continue
		}
		goid, _ := strconv.ParseInt(m[1], 10, 64)
		if goid == 1 || m[2] == "running" || m[2] == "runnable" || m[2] == "syscall" ||
			m[2] == "sleep" {
			continue
		}
		out = append(out, parkedGoroutine{goid, m[2]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Goid < out[j].Goid })
	return out
}

// settle: want goroutines parked, their number still for 300 ms.
func settle(want int) []parkedGoroutine {
	deadline := time.Now().Add(10 * time.Second)
	last, since := -1, time.Now()
	for {
		p := parkedNow()
		if len(p) != last {
			last, since = len(p), time.Now()
		}
		if len(p) >= want && time.Since(since) >= 300*time.Millisecond {
			return p
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "deadlocks: %d goroutines parked, wanted %d\n", len(p), want)
			os.Exit(1)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: deadlocks -list | deadlocks PATTERN")
		os.Exit(2)
	}
	if os.Args[1] == "-list" {
		names := make([]string, 0, len(patterns))
		for n := range patterns {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("%s bug %s\n", n, patterns[n].summary)
			fmt.Printf("%s_twin twin %s (objects kept in a global)\n", n, patterns[n].summary)
		}
		return
	}
	name := strings.TrimSuffix(os.Args[1], "_twin")
	p, ok := patterns[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "deadlocks: unknown pattern %q\n", os.Args[1])
		os.Exit(2)
	}
	parked := settle(p.start(name != os.Args[1]))
	runtime.GC() // whatever the start-up left behind is swept
	truth, _ := json.Marshal(map[string]interface{}{"pattern": os.Args[1], "parked": parked})
	fmt.Println("READY")
	fmt.Println(string(truth))
	for {
		time.Sleep(time.Hour)
	}
}
