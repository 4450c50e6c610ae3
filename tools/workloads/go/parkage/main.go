// parkage parks goroutines at known times, for the park-age test of
// tests/e2e/test_go.py. Before READY: "early" parks and "repark" parks in a
// loop receive, then a GC runs (which may stamp g.waitsince: Go sets it
// lazily). Commands on stdin, each answered with a line once done:
//   late   a new goroutine parks            -> "LATE"
//   wake   repark is woken once and parks again at the same receive
//          -> "WOKEN" (after it parked again)
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"time"
)

//go:noinline
func early(ch chan int) {
	<-ch
}

//go:noinline
func late(ch chan int) {
	<-ch
}

//go:noinline
func repark(wake chan int, parked chan struct{}) {
	for {
		parked <- struct{}{}
		<-wake // the same receive, the same frame, every time
	}
}

func main() {
	never := make(chan int)
	wake := make(chan int)
	parked := make(chan struct{})
	go early(never)
	go repark(wake, parked)
	<-parked
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	fmt.Println("READY")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "late":
			go late(never)
			time.Sleep(20 * time.Millisecond)
			fmt.Println("LATE")
		case "wake":
			wake <- 1
			<-parked
			time.Sleep(20 * time.Millisecond)
			fmt.Println("WOKEN")
		}
	}
}
