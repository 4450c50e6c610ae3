// loadgen sends a bounded number of HTTP GETs to a loopback URL with a few
// concurrent clients and prints the rate: "REQUESTS n SECONDS s RPS r ERRORS e".
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "", "loopback URL to GET")
	n := flag.Int("n", 1000, "requests in total")
	c := flag.Int("c", 8, "concurrent clients")
	keepalive := flag.Bool("k", false, "reuse connections")
	maxTime := flag.Duration("t", 60*time.Second, "stop after this long")
	flag.Parse()
	if !strings.HasPrefix(*url, "http://127.") && !strings.HasPrefix(*url, "http://localhost") {
		fmt.Fprintln(os.Stderr, "loadgen: only loopback URLs")
		os.Exit(2)
	}
	tr := &http.Transport{DisableKeepAlives: !*keepalive, MaxIdleConnsPerHost: *c}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var next, errs int64
	deadline := time.Now().Add(*maxTime)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < *c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for atomic.AddInt64(&next, 1) <= int64(*n) && time.Now().Before(deadline) {
				resp, err := client.Get(*url)
				if err != nil {
					atomic.AddInt64(&errs, 1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	done := next - int64(*c)
	if done > int64(*n) {
		done = int64(*n)
	}
	fmt.Printf("REQUESTS %d SECONDS %.3f RPS %.1f ERRORS %d\n", done, secs, float64(done)/secs, errs)
}
