// httpleak leaks one goroutine per request: the handler starts a goroutine
// that sends on an unbuffered channel nobody receives from.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
)

func handler(w http.ResponseWriter, r *http.Request) {
	ch := make(chan int)
	go func() { ch <- 1 }() // LEAK-SITE: the test looks for this line
	fmt.Fprintln(w, "ok")
}

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0 = any)")
	flag.Parse()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	http.HandleFunc("/", handler)
	fmt.Printf("PORT %d\nREADY\n", ln.Addr().(*net.TCPAddr).Port)
	http.Serve(ln, nil)
}
