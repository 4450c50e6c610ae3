// upstreamhang has two modes. -mode hang: each request to the front server
// runs its handler's http.Get without timeout to an upstream (a listener of
// this process) that reads the request and never answers: one bug whose
// handler, transport loops and connection all stall together. -mode idle:
// the server answers at once; it also calls itself once through its own
// http.Client, so its transport keeps one idle pooled connection, and the
// server one accepted keep-alive connection: nothing is owed, nothing stalls.
// In -mode hang, rawCall also waits on the same upstream over a raw TCP
// connection of its own.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

// blackhole reads what each client sends and never answers.
func blackhole(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go io.Copy(io.Discard, c) // UPSTREAM-READ: never answers
	}
}

// rawCall sends a line to the upstream on a connection of its own and
// waits for the reply: a second code path stalled on the same peer as the
// transport's readLoops (one cause, one finding).
func rawCall(addr string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(c, "PING\r\n")
	buf := make([]byte, 1)
	c.Read(buf) // RAW-CALL: never answered
}

func listen() net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	return ln
}

func main() {
	mode := flag.String("mode", "hang", "hang or idle")
	flag.Parse()
	hole := listen()
	go blackhole(hole)
	upstream := fmt.Sprintf("http://%s/", hole.Addr())
	client := &http.Client{} // no timeout
	ln := listen()
	self := fmt.Sprintf("http://%s/", ln.Addr())
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if *mode != "hang" {
			fmt.Fprintln(w, "ok")
			return
		}
		resp, err := client.Get(upstream) // HANDLER-CALL: never returns
		if err == nil {
			resp.Body.Close()
		}
		fmt.Fprintln(w, "done")
	})
	ready := func() { fmt.Printf("PORT %d\nREADY\n", ln.Addr().(*net.TCPAddr).Port) }
	if *mode == "idle" {
		go func() {
			resp, err := client.Get(self) // leaves an idle pooled connection
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			ready()
		}()
	} else {
		go rawCall(hole.Addr().String())
		ready()
	}
	http.Serve(ln, nil)
}
