// hangclient leaks one goroutine per request: each request to the front
// server starts an http.Get without timeout to a loopback server that
// accepts connections and never answers.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
)

func blackhole(ln net.Listener) {
	var conns []net.Conn // kept open, never read or answered
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		conns = append(conns, c)
	}
}

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0 = any)")
	flag.Parse()
	hole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go blackhole(hole)
	url := fmt.Sprintf("http://%s/", hole.Addr())
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		go func() {
			resp, err := http.Get(url) // never returns: no timeout
			if err == nil {
				resp.Body.Close()
			}
		}()
		fmt.Fprintln(w, "started")
	})
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("PORT %d\nREADY\n", ln.Addr().(*net.TCPAddr).Port)
	http.Serve(ln, nil)
}
