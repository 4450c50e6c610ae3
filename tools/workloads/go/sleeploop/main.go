// sleeploop is healthy: a few goroutines loop on time.Sleep.
package main

import (
	"fmt"
	"time"
)

func loop(d time.Duration) {
	for {
		time.Sleep(d)
	}
}

func main() {
	for i := 1; i <= 4; i++ {
		go loop(time.Duration(i) * 50 * time.Millisecond)
	}
	fmt.Println("READY")
	loop(time.Second)
}
