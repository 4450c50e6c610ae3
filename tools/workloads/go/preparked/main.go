// preparked starts N goroutines blocked on a channel receive at start-up, so
// a tracer attached later finds goroutines parked before it came.
package main

import (
	"flag"
	"fmt"
	"time"
)

func waiter(ch chan int) {
	<-ch // PARK-SITE
}

func main() {
	n := flag.Int("n", 50, "goroutines to park")
	flag.Parse()
	ch := make(chan int)
	for i := 0; i < *n; i++ {
		go waiter(ch) // GO-SITE
	}
	time.Sleep(100 * time.Millisecond)
	fmt.Println("READY")
	for {
		time.Sleep(time.Hour)
	}
}
