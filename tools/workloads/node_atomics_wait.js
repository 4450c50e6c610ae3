// node_atomics_wait: a worker thread blocked forever in Atomics.wait inside
// the named JavaScript function blockForever (a JIT frame: run with
// --perf-basic-prof --interpreted-frames-native-stack so that Node writes
// /tmp/perf-PID.map and gives interpreted functions their own code).
//   ROLE worker <tid>   the blocked worker's kernel tid
//   READY
'use strict';
const fs = require('fs');
const { Worker, isMainThread, parentPort } = require('worker_threads');

function tid() {
  return fs.readlinkSync('/proc/thread-self').split('/').pop();
}

if (isMainThread) {
  const w = new Worker(__filename);
  w.on('message', (t) => {
    console.log('ROLE worker ' + t);
    setTimeout(() => console.log('READY'), 300);
  });
  setInterval(() => {}, 1000);
} else {
  function blockForever() {
    const cell = new Int32Array(new SharedArrayBuffer(4));
    parentPort.postMessage(tid());
    Atomics.wait(cell, 0, 0);
  }
  blockForever();
}
