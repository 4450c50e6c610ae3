// Blocking bugs: each leaves goroutines blocked forever, the way the cited
// kind of real project code did (the classes follow Tu et al., "Understanding
// Real-World Concurrency Bugs in Go", ASPLOS 2019, on Docker, Kubernetes,
// etcd, gRPC, CockroachDB and BoltDB). Sizes vary on purpose: a bug hit once
// leaves 1-3 goroutines, a bug on a request path leaves a pile.
package main

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

func init() {
	register("double_lock", bug, "method takes a mutex its caller already holds (x20 objects)", doubleLock)
	register("rwmutex_recursive_rlock", bug, "RLock taken again while a writer waits", recursiveRLock)
	register("abba_mutex", bug, "two goroutines lock two mutexes in opposite order", abbaMutex)
	register("mutex_chan_abba", bug, "sender holds a mutex the receiver needs before receiving", mutexChanABBA)
	register("wg_missing_done", bug, "a worker returns on an error path without Done (x30 requests)", wgMissingDone)
	register("wg_self_wait", bug, "a counted worker calls Wait on its own WaitGroup", wgSelfWait)
	register("wg_off_by_one", bug, "Add(len+1): Wait never returns (x10 batches)", wgOffByOne)
	register("range_missing_close", bug, "consumer ranges over a channel its producer never closes (x40)", rangeMissingClose)
	register("timeout_send_no_receiver", bug, "worker sends its result after the caller timed out (x300 requests)", timeoutSend)
	register("early_return_result_chan", bug, "caller returns on an error before reading the unbuffered result (x60)", earlyReturn)
	register("ctx_cancel_send", bug, "producer sends without selecting on ctx.Done after the consumer cancelled (x25)", ctxCancelSend)
	register("cond_lost_wakeup", bug, "Signal before Wait, no predicate loop (x3)", condLostWakeup)
	register("ticker_stop_range", bug, "ranging over ticker.C after Stop, which does not close it (x15)", tickerStopRange)
	register("errgroup_first_error", bug, "first error returns, the other results are sent to nobody (x20 calls)", errgroupLeak)
	register("nil_channel", bug, "send and receive on a struct's nil channel field (x8)", nilChannel)
	register("select_no_cases", bug, "a placeholder goroutine parks in select {}", selectNoCases)
	register("producers_consumer_quit", bug, "the one consumer quits on an error, 100 producers block on the shared channel", producersConsumerQuit)
	register("pipeline_abandoned", bug, "downstream stage stops early, upstream stages block on send (x5 pipelines)", pipelineAbandoned)
	register("unlock_missing_on_error", bug, "an error path returns without Unlock, later lockers block (x12)", unlockMissing)
	register("runlock_missing", bug, "an error path skips RUnlock, the writer and later readers block", runlockMissing)
	register("semaphore_not_released", bug, "a token of a channel semaphore is never released on error (x10 waiters)", semaphoreNotReleased)
	register("pubsub_gone_subscriber", bug, "one goroutine per publish sends to a subscriber that left (x150)", pubsubGoneSubscriber)
	register("done_never_closed", bug, "close(done) sits in a branch not taken, 40 waiters on one channel", doneNeverClosed)
	register("callback_reentry", bug, "a callback run under a lock waits for a goroutine that needs the lock", callbackReentry)
	register("cond_close_no_broadcast", bug, "Close sets a flag without Broadcast, 6 waiters stay", condCloseNoBroadcast)
	register("timer_stop_drain", bug, "if !t.Stop() { <-t.C } after C was already drained (x10)", timerStopDrain)
	register("conn_read_no_deadline", bug, "client reads a peer that never answers, no deadline (x20 conns)", connReadNoDeadline)
	register("abc_mutex_cycle", bug, "three goroutines, three mutexes, a cycle", abcMutexCycle)
	register("wg_waiter_holds_lock", bug, "Wait under a mutex the workers need before Done (1 waiter + 4 workers)", wgWaiterHoldsLock)
	register("first_response_wins", bug, "racing 3 backends on an unbuffered channel, 2 senders leak per call (x100)", firstResponseWins)
	register("stop_send_after_exit", bug, "Stop sends on an unbuffered stop channel, the loop already returned (x8)", stopSendAfterExit)
	register("copied_locked_mutex", bug, "a struct copied while its mutex was held: the copy stays locked (x6)", copiedLockedMutex)
	register("bulk_request_leak", bug, "a handler leaks a goroutine per request on its own channel (x1200)", bulkRequestLeak)
}

// Channels and WaitGroups order the steps of each bug, so that it happens on
// a loaded machine too; writerQueued is the handshake for an RWMutex.

// writerQueued returns once a writer waits for mu (TryRLock fails then).
func writerQueued(mu *sync.RWMutex) {
	for mu.TryRLock() {
		mu.RUnlock()
		time.Sleep(time.Millisecond)
	}
}

var errBackend = errors.New("backend failed")

type account struct {
	mu      sync.Mutex
	balance int
}

func (a *account) deposit(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.balance += n
}

func (a *account) transferIn(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.deposit(n) // locks a.mu again
}

func doubleLock() int {
	for i := 0; i < 20; i++ {
		go (&account{}).transferIn(1)
	}
	return 20
}

func recursiveRLock() int {
	var mu sync.RWMutex
	held := make(chan struct{})
	go func() {
		mu.RLock()
		close(held)
		writerQueued(&mu)
		mu.RLock() // blocks behind the waiting writer
		mu.RUnlock()
		mu.RUnlock()
	}()
	go func() {
		<-held
		mu.Lock()
		mu.Unlock()
	}()
	return 2
}

// lockBoth takes first, waits until every party holds its first mutex,
// then takes second.
func lockBoth(first, second *sync.Mutex, allHold *sync.WaitGroup) {
	first.Lock()
	allHold.Done()
	allHold.Wait()
	second.Lock()
	second.Unlock()
	first.Unlock()
}

func abbaMutex() int {
	var a, b sync.Mutex
	var allHold sync.WaitGroup
	allHold.Add(2)
	go lockBoth(&a, &b, &allHold)
	go lockBoth(&b, &a, &allHold)
	return 2
}

func mutexChanABBA() int {
	var mu sync.Mutex
	events := make(chan int)
	held := make(chan struct{})
	go func() { // holds mu while it publishes
		mu.Lock()
		defer mu.Unlock()
		close(held)
		events <- 1
	}()
	go func() { // takes mu before each receive
		<-held
		for {
			mu.Lock()
			mu.Unlock()
			<-events
		}
	}()
	return 2
}

func wgMissingDone() int {
	for r := 0; r < 30; r++ {
		go func(r int) { // request handler
			var wg sync.WaitGroup
			for w := 0; w < 3; w++ {
				wg.Add(1)
				go func(w int) {
					if w == 1 {
						return // error path forgets wg.Done
					}
					wg.Done()
				}(w)
			}
			wg.Wait()
		}(r)
	}
	return 30
}

func wgSelfWait() int {
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if i == 0 {
				wg.Wait() // waits for itself
			}
		}(i)
	}
	return 1
}

func wgOffByOne() int {
	for b := 0; b < 10; b++ {
		go func() {
			items := []int{1, 2, 3}
			var wg sync.WaitGroup
			wg.Add(len(items) + 1)
			for range items {
				go wg.Done()
			}
			wg.Wait()
		}()
	}
	return 10
}

func rangeMissingClose() int {
	for i := 0; i < 40; i++ {
		ch := make(chan int)
		go func() {
			for v := range ch {
				_ = v
			}
		}()
		go func() {
			for j := 0; j < 3; j++ {
				ch <- j
			}
			// missing close(ch)
		}()
	}
	return 40
}

func slowBackend(d time.Duration) int {
	time.Sleep(d)
	return 42
}

func timeoutSend() int {
	for r := 0; r < 300; r++ {
		go func() { // request with a 10 ms budget
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			defer cancel()
			gaveUp := make(chan struct{})
			defer close(gaveUp)
			result := make(chan int)
			go func() { result <- backendSlowerThan(gaveUp) }()
			select {
			case <-result:
			case <-ctx.Done():
			}
		}()
	}
	return 300
}

// backendSlowerThan answers after the caller gave up, whatever the load.
func backendSlowerThan(gaveUp chan struct{}) int {
	<-gaveUp
	return 42
}

func fetchAndParse(fail bool) error {
	result := make(chan int)
	go func() { result <- slowBackend(5 * time.Millisecond) }()
	if fail {
		return errBackend // result is never read
	}
	<-result
	return nil
}

func earlyReturn() int {
	for i := 0; i < 60; i++ {
		go fetchAndParse(true)
	}
	return 60
}

func ctxCancelSend() int {
	for i := 0; i < 25; i++ {
		go func() {
			ctx, cancel := context.WithCancel(context.Background())
			out := make(chan int)
			go func() {
				for j := 0; ; j++ {
					out <- j // no select on ctx.Done()
				}
			}()
			for v := range out {
				if v == 2 {
					cancel()
					break
				}
			}
			<-ctx.Done()
		}()
	}
	return 25
}

func condLostWakeup() int {
	for i := 0; i < 3; i++ {
		var mu sync.Mutex
		cond := sync.NewCond(&mu)
		signalled := make(chan struct{})
		go func() { cond.Signal(); close(signalled) }() // "ready" comes first
		go func() {
			<-signalled
			mu.Lock()
			cond.Wait() // no predicate: the signal is lost
			mu.Unlock()
		}()
	}
	return 3
}

func tickerStopRange() int {
	for i := 0; i < 15; i++ {
		t := time.NewTicker(5 * time.Millisecond)
		go func() {
			for range t.C {
			}
		}()
		go func() {
			time.Sleep(20 * time.Millisecond) // a few ticks first
			t.Stop()                          // does not close t.C
		}()
	}
	return 15
}

func errgroupCall() error {
	results := make(chan error)
	failed := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func(i int) {
			if i == 0 {
				results <- errBackend
				close(failed)
				return
			}
			<-failed // the slower calls finish after the failure
			results <- nil
		}(i)
	}
	for i := 0; i < 4; i++ {
		if err := <-results; err != nil {
			return err // the remaining senders block forever
		}
	}
	return nil
}

func errgroupLeak() int {
	for i := 0; i < 20; i++ {
		go errgroupCall()
	}
	return 60
}

type session struct {
	events chan int // never made
	acks   chan int // never made
}

func nilChannel() int {
	for i := 0; i < 4; i++ {
		s := &session{}
		go func() { s.events <- 1 }()
		go func() { <-s.acks }()
	}
	return 8
}

func selectNoCases() int {
	go func() {
		// plugin placeholder: "block until we add a stop channel"
		select {}
	}()
	return 1
}

func producersConsumerQuit() int {
	work := make(chan int)
	go func() { // the consumer
		<-work
		// the first item fails: it quits, nobody drains work
	}()
	for i := 0; i < 101; i++ {
		go func(i int) { work <- i }(i)
	}
	return 100
}

func stage(in <-chan int) <-chan int {
	out := make(chan int)
	go func() {
		for v := range in {
			out <- v * 2
		}
		close(out)
	}()
	return out
}

func pipelineAbandoned() int {
	for p := 0; p < 5; p++ {
		src := make(chan int)
		go func() {
			for i := 0; ; i++ {
				src <- i
			}
		}()
		out := stage(stage(src))
		go func() {
			<-out // takes the first result and stops
		}()
	}
	return 15
}

type registry struct {
	mu    sync.Mutex
	names map[string]int
}

func (r *registry) add(name string) error {
	r.mu.Lock()
	if name == "" {
		return errors.New("empty name") // mu stays locked
	}
	r.names[name]++
	r.mu.Unlock()
	return nil
}

func unlockMissing() int {
	r := &registry{names: map[string]int{}}
	r.add("")
	for i := 0; i < 12; i++ {
		go r.add("x")
	}
	return 12
}

func runlockMissing() int {
	var mu sync.RWMutex
	read := func(fail bool) {
		mu.RLock()
		if fail {
			return // skips RUnlock
		}
		mu.RUnlock()
	}
	read(true)
	go func() { mu.Lock(); mu.Unlock() }()
	for i := 0; i < 3; i++ {
		go func() { writerQueued(&mu); read(false) }()
	}
	return 4
}

func semaphoreNotReleased() int {
	sem := make(chan struct{}, 2)
	use := func(fail bool) {
		sem <- struct{}{}
		if fail {
			return // token never released
		}
		<-sem
	}
	use(true)
	use(true)
	for i := 0; i < 10; i++ {
		go use(false)
	}
	return 10
}

func pubsubGoneSubscriber() int {
	sub := make(chan int) // its reader unsubscribed and returned
	for i := 0; i < 150; i++ {
		go func(i int) { sub <- i }(i)
	}
	return 150
}

func doneNeverClosed() int {
	done := make(chan struct{})
	shutdown := func(graceful bool) {
		if graceful {
			close(done)
		}
		// the forced path forgets to close done
	}
	for i := 0; i < 40; i++ {
		go func() { <-done }()
	}
	shutdown(false)
	return 40
}

type balancer struct {
	mu      sync.Mutex
	updates chan int
}

func (b *balancer) onUpdate(cb func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cb()
}

func callbackReentry() int {
	b := &balancer{updates: make(chan int)}
	held := make(chan struct{})
	go func() { // the watcher needs b.mu to deliver
		<-held
		b.mu.Lock()
		b.updates <- 1
		b.mu.Unlock()
	}()
	go b.onUpdate(func() { close(held); <-b.updates })
	return 2
}

type queue struct {
	mu      sync.Mutex
	cond    *sync.Cond
	closed  bool
	items   []int
	waiting int
}

func condCloseNoBroadcast() int {
	q := &queue{}
	q.cond = sync.NewCond(&q.mu)
	for i := 0; i < 6; i++ {
		go func() {
			q.mu.Lock()
			q.waiting++
			for len(q.items) == 0 && !q.closed {
				q.cond.Wait()
			}
			q.mu.Unlock()
		}()
	}
	go func() {
		for { // Close comes once every consumer waits
			q.mu.Lock()
			if q.waiting == 6 {
				break
			}
			q.mu.Unlock()
			time.Sleep(time.Millisecond)
		}
		q.closed = true // no Broadcast
		q.mu.Unlock()
	}()
	return 6
}

func timerStopDrain() int {
	for i := 0; i < 10; i++ {
		go func() {
			t := time.NewTimer(time.Millisecond)
			<-t.C // fired and drained
			if !t.Stop() {
				<-t.C // drained twice: blocks forever
			}
		}()
	}
	return 10
}

func connReadNoDeadline() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	for i := 0; i < 20; i++ {
		go func() {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				panic(err)
			}
			buf := make([]byte, 1)
			c.Read(buf) // no deadline
		}()
	}
	for i := 0; i < 20; i++ { // the peer accepts and never answers
		c, err := ln.Accept()
		if err != nil {
			panic(err)
		}
		heldConns = append(heldConns, c)
	}
	return 20
}

var heldConns []net.Conn

func abcMutexCycle() int {
	var a, b, c sync.Mutex
	var allHold sync.WaitGroup
	allHold.Add(3)
	go lockBoth(&a, &b, &allHold)
	go lockBoth(&b, &c, &allHold)
	go lockBoth(&c, &a, &allHold)
	return 3
}

func wgWaiterHoldsLock() int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Add(4)
	locked := make(chan struct{})
	for i := 0; i < 4; i++ {
		go func() {
			<-locked
			mu.Lock() // to record the result
			mu.Unlock()
			wg.Done()
		}()
	}
	go func() {
		mu.Lock()
		close(locked)
		wg.Wait()
		mu.Unlock()
	}()
	return 5
}

func firstResponseWins() int {
	for i := 0; i < 100; i++ {
		go func() {
			answers := make(chan int)
			for b := 0; b < 3; b++ {
				go func(b int) { answers <- slowBackend(time.Duration(b) * time.Millisecond) }(b)
			}
			<-answers
		}()
	}
	return 200
}

type poller struct{ stop, exited chan struct{} }

func (p *poller) loop() {
	defer close(p.exited)
	for i := 0; i < 2; i++ {
		select {
		case <-p.stop:
			return
		case <-time.After(time.Millisecond):
		}
	}
	// finished its work and returned: nobody reads stop any more
}

func stopSendAfterExit() int {
	for i := 0; i < 8; i++ {
		p := &poller{make(chan struct{}), make(chan struct{})}
		go p.loop()
		go func() {
			<-p.exited
			p.stop <- struct{}{} // Stop()
		}()
	}
	return 8
}

type counter struct {
	mu sync.Mutex
	n  int
}

func copiedLockedMutex() int {
	for i := 0; i < 6; i++ {
		orig := &counter{}
		orig.mu.Lock()
		snapshot := *orig // copies the locked mutex (go vet: copylocks)
		orig.mu.Unlock()
		go func() {
			snapshot.mu.Lock()
			snapshot.n++
			snapshot.mu.Unlock()
		}()
	}
	return 6
}

func handleRequest(id int) {
	reply := make(chan int)
	go func() { reply <- id }() // nobody reads reply: the handler forgot it
}

func bulkRequestLeak() int {
	for i := 0; i < 1200; i++ {
		handleRequest(i)
	}
	return 1200
}
