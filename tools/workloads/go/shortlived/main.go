// shortlived is a short-lived Go program, as cron jobs and CLIs are: it parks
// a few goroutines on a channel (and so several OS threads in futex waits),
// prints READY, lives for its argument (a Go duration, default 2s) and exits.
// tests/e2e/test_soak.py and tools/soak.sh start thousands of them.
package main

import (
	"fmt"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"runtime"
	"sync"
	"text/template"
	"time"
)

// code kept in the binary: a CLI-sized executable (~6 MB), as kubectl or
// helm are, so each process costs a tracer what a real one does
var linked = []any{http.ListenAndServe, http.Get, json.Marshal, json.Unmarshal,
	x509.ParseCertificate, template.New}

//go:noinline
func parked(ch chan int, wg *sync.WaitGroup) {
	wg.Done()
	<-ch
}

func main() {
	life := 2 * time.Second
	if len(os.Args) > 1 {
		d, err := time.ParseDuration(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "usage: shortlived [DURATION]")
			os.Exit(2)
		}
		life = d
	}
	never := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go parked(never, &wg)
	}
	wg.Wait()
	// a few OS threads of their own, parked in the kernel (futex) too
	for i := 0; i < 3; i++ {
		go func() {
			runtime.LockOSThread()
			<-never
		}()
	}
	fmt.Println("READY", len(linked))
	time.Sleep(life)
}
