// node_workers_leak: N worker threads (default 20), each blocked forever in
// Atomics.wait inside blockForever: one leak whose JIT code is at another
// address in every worker's isolate. SIGUSR2 starts N more (a second wave,
// e.g. after a perf map appeared).
//   ROLE worker<i> <tid>   each blocked worker's kernel tid
//   READY                  after each wave is blocked
'use strict';
const fs = require('fs');
const { Worker, isMainThread, parentPort } = require('worker_threads');

function tid() {
  return fs.readlinkSync('/proc/thread-self').split('/').pop();
}

if (isMainThread) {
  const n = parseInt(process.argv[2] || '20', 10);
  let started = 0;
  const wave = () => {
    let left = n;
    for (let i = 0; i < n; i++) {
      const id = started++;
      new Worker(__filename).on('message', (t) => {
        console.log('ROLE worker' + id + ' ' + t);
        if (--left === 0)
          setTimeout(() => console.log('READY'), 300);
      });
    }
  };
  process.on('SIGUSR2', wave);
  wave();
  setInterval(() => {}, 1000);
} else {
  function blockForever() {
    const cell = new Int32Array(new SharedArrayBuffer(4));
    parentPort.postMessage(tid());
    Atomics.wait(cell, 0, 0);
  }
  blockForever();
}
