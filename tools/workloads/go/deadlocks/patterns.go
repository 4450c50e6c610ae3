package main

import (
	"io"
	"runtime/pprof"
	"sync"
	"time"
)

func init() {
	register("abba_mutex", "two goroutines lock two sync.Mutex in opposite order", abbaMutex)
	register("abc_mutex", "three goroutines, three mutexes, a cycle", abcMutex)
	register("double_lock", "a goroutine locks a sync.Mutex it already holds", doubleLock)
	register("mutex_holder_exited", "a goroutine returned holding a mutex, another waits for it", holderExited)
	register("rwmutex_recursive_rlock", "RLock taken again while a writer waits", recursiveRLock)
	register("rwmutex_upgrade", "Lock while holding RLock of the same RWMutex", rwUpgrade)
	register("rw_mutex_abba", "RLock(rw) then Lock(mu) against Lock(mu) then Lock(rw)", rwMutexABBA)
	register("wg_waiter_holds_lock", "Wait under a mutex the worker needs before Done", wgWaiterHoldsLock)
	register("wg_self_wait", "a counted worker waits on its own WaitGroup", wgSelfWait)
	register("wg_missing_done", "a worker returns without Done, the waiter waits", wgMissingDone)
	register("cond_no_signaller", "Cond.Wait, the only signaller returned without Signal", condNoSignaller)
	register("cond_lost_wakeup", "Signal before Wait, no predicate loop", condLostWakeup)
	register("chan_in_struct_dropped", "a channel in a struct dropped by its only sender", chanInStruct)
	register("select_two_dropped", "select on two channels whose senders are gone", selectTwoDropped)
	register("send_no_receiver", "send on an unbuffered channel, the receiver returned", sendNoReceiver)
	register("buffered_full", "send to a full buffered channel whose reader left", bufferedFull)
	register("mutex_chan_abba", "holds a mutex while sending, the receiver needs the mutex first", mutexChanABBA)
	register("two_chan_cycle", "each goroutine receives from the other before sending", twoChanCycle)
	register("range_no_close", "the consumer ranges, the producer returned without close", rangeNoClose)
	register("wg_worker_blocked", "the worker blocks on a dropped channel before Done", wgWorkerBlocked)
	register("once_reentry", "sync.Once.Do called from inside its own function", onceReentry)
	register("select_send_recv_dropped", "select send on one, receive on another, both dropped", selectSendRecv)
	register("runtime_leak_profile", "a receive nobody can serve, then the program reads its own goroutineleak profile (Go 1.26+: _Gleaked)", runtimeLeakProfile)
}

// writerQueued returns once a writer waits for mu (TryRLock fails then).
func writerQueued(mu *sync.RWMutex) {
	for mu.TryRLock() {
		mu.RUnlock()
		time.Sleep(time.Millisecond)
	}
}

func lockBoth(first, second *sync.Mutex, allHold *sync.WaitGroup) {
	first.Lock()
	allHold.Done()
	allHold.Wait()
	second.Lock()
	second.Unlock()
	first.Unlock()
}

func abbaMutex(keep bool) int {
	a, b := new(sync.Mutex), new(sync.Mutex)
	allHold := new(sync.WaitGroup)
	allHold.Add(2)
	keepIf(keep, a, b)
	go lockBoth(a, b, allHold)
	go lockBoth(b, a, allHold)
	return 2
}

func abcMutex(keep bool) int {
	a, b, c := new(sync.Mutex), new(sync.Mutex), new(sync.Mutex)
	allHold := new(sync.WaitGroup)
	allHold.Add(3)
	keepIf(keep, a, b, c)
	go lockBoth(a, b, allHold)
	go lockBoth(b, c, allHold)
	go lockBoth(c, a, allHold)
	return 3
}

type account struct {
	mu      sync.Mutex
	balance int
}

func (a *account) deposit(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.balance += n
}

func (a *account) transfer(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.deposit(n)
}

func doubleLock(keep bool) int {
	a := &account{}
	keepIf(keep, a)
	go a.transfer(1)
	return 1
}

func holderExited(keep bool) int {
	mu := new(sync.Mutex)
	keepIf(keep, mu)
	done := make(chan struct{})
	go func() { mu.Lock(); close(done) }() // returns holding mu
	go func() { <-done; mu.Lock(); mu.Unlock() }()
	return 1
}

func recursiveRLock(keep bool) int {
	mu := new(sync.RWMutex)
	keepIf(keep, mu)
	held := make(chan struct{})
	go func() {
		mu.RLock()
		close(held)
		writerQueued(mu)
		mu.RLock()
		mu.RUnlock()
		mu.RUnlock()
	}()
	go func() { <-held; mu.Lock(); mu.Unlock() }()
	return 2
}

func rwUpgrade(keep bool) int {
	mu := new(sync.RWMutex)
	keepIf(keep, mu)
	go func() {
		mu.RLock()
		mu.Lock() // waits for its own read lock
		mu.Unlock()
		mu.RUnlock()
	}()
	return 1
}

func rwMutexABBA(keep bool) int {
	rw, mu := new(sync.RWMutex), new(sync.Mutex)
	keepIf(keep, rw, mu)
	step := make(chan struct{})
	go func() {
		rw.RLock()
		step <- struct{}{}
		<-step
		mu.Lock()
	}()
	go func() {
		<-step
		mu.Lock()
		step <- struct{}{}
		rw.Lock()
	}()
	return 2
}

func wgWaiterHoldsLock(keep bool) int {
	mu, wg := new(sync.Mutex), new(sync.WaitGroup)
	keepIf(keep, mu, wg)
	wg.Add(1)
	locked := make(chan struct{})
	go func() { <-locked; mu.Lock(); mu.Unlock(); wg.Done() }()
	go func() { mu.Lock(); close(locked); wg.Wait(); mu.Unlock() }()
	return 2
}

func wgSelfWait(keep bool) int {
	wg := new(sync.WaitGroup)
	keepIf(keep, wg)
	wg.Add(1)
	go func() { defer wg.Done(); wg.Wait() }()
	return 1
}

func wgMissingDone(keep bool) int {
	wg := new(sync.WaitGroup)
	keepIf(keep, wg)
	wg.Add(2)
	go wg.Done()
	go func() {}() // the error path forgets Done
	go wg.Wait()
	return 1
}

func condNoSignaller(keep bool) int {
	mu := new(sync.Mutex)
	c := sync.NewCond(mu)
	keepIf(keep, c)
	ready := false
	go func() {
		mu.Lock()
		for !ready {
			c.Wait()
		}
		mu.Unlock()
	}()
	go func() {
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		// the error path returns before ready = true; c.Signal()
		mu.Unlock()
	}()
	return 1
}

func condLostWakeup(keep bool) int {
	mu := new(sync.Mutex)
	c := sync.NewCond(mu)
	keepIf(keep, c)
	signalled := make(chan struct{})
	go func() { c.Signal(); close(signalled) }()
	go func() { <-signalled; mu.Lock(); c.Wait(); mu.Unlock() }()
	return 1
}

type result struct {
	ch  chan int
	err error
}

func chanInStruct(keep bool) int {
	r := &result{ch: make(chan int)}
	keepIf(keep, r)
	go func(r *result) {
		if r.err == nil {
			return // the sender gives up without sending
		}
		r.ch <- 1
	}(r)
	go func(r *result) { <-r.ch }(r)
	return 1
}

func selectTwoDropped(keep bool) int {
	a, b := make(chan int), make(chan int)
	keepIf(keep, a, b)
	go func() {
		select {
		case <-a:
		case <-b:
		}
	}()
	return 1
}

func sendNoReceiver(keep bool) int {
	ch := make(chan int)
	keepIf(keep, ch)
	go func() { ch <- 1 }()
	return 1
}

func bufferedFull(keep bool) int {
	ch := make(chan int, 2)
	keepIf(keep, ch)
	go func() {
		for i := 0; i < 3; i++ {
			ch <- i
		}
	}()
	return 1
}

func mutexChanABBA(keep bool) int {
	mu, events := new(sync.Mutex), make(chan int)
	keepIf(keep, mu, events)
	held := make(chan struct{})
	go func() { mu.Lock(); close(held); events <- 1; mu.Unlock() }()
	go func() { <-held; mu.Lock(); mu.Unlock(); <-events }()
	return 2
}

func twoChanCycle(keep bool) int {
	c1, c2 := make(chan int), make(chan int)
	keepIf(keep, c1, c2)
	go func() { v := <-c1; c2 <- v }()
	go func() { v := <-c2; c1 <- v }()
	return 2
}

func rangeNoClose(keep bool) int {
	ch := make(chan int)
	keepIf(keep, ch)
	go func() {
		for range ch {
		}
	}()
	go func() { ch <- 1; ch <- 2 }() // no close(ch)
	return 1
}

func wgWorkerBlocked(keep bool) int {
	wg, jobs := new(sync.WaitGroup), make(chan int)
	keepIf(keep, wg, jobs)
	wg.Add(1)
	go func() { defer wg.Done(); <-jobs }()
	go wg.Wait()
	return 2
}

func onceReentry(keep bool) int {
	once := new(sync.Once)
	keepIf(keep, once)
	var f func()
	f = func() { once.Do(f) }
	go once.Do(f)
	return 1
}

func selectSendRecv(keep bool) int {
	out, in := make(chan int), make(chan int)
	keepIf(keep, out, in)
	go func() {
		select {
		case out <- 1:
		case <-in:
		}
	}()
	return 1
}

func runtimeLeakProfile(keep bool) int {
	ch := make(chan int)
	keepIf(keep, ch)
	started := make(chan struct{})
	go func() { close(started); <-ch }()
	<-started
	go func() {
		time.Sleep(100 * time.Millisecond)
		// Go 1.26 (GOEXPERIMENT=goroutineleakprofile) and 1.27: the GC marks
		// the receiver leaked; older runtimes have no such profile
		if p := pprof.Lookup("goroutineleak"); p != nil {
			p.WriteTo(io.Discard, 0)
		}
	}()
	return 1
}
