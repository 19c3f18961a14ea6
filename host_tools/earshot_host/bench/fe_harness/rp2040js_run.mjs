// Runs the front-end harness (a raw image for flash at 0x10000000) on rp2040js's core,
// without bootrom or boot stage: SP and PC from the image's vector table. Serves the
// harness's semihosting calls (SYS_WRITE0 to stdout, SYS_EXIT), and counts the cycles of
// every instruction executed inside a hop (from the entry of hop_begin to the entry of
// hop_end) per function and stage: the stage of an instruction is its function, or for a
// helper function (FUNCTIONS.json marks them) the last function before it that is not one.
// Prints the harness's output, then one line
//   PROFILE {"hops": [cycles per hop...], "counts": {"function|stage": cycles}}
//
//   node rp2040js_run.mjs NODE_MODULES IMAGE.bin FUNCTIONS.json
// FUNCTIONS.json: [[start address, name, helper], ...] sorted by address.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [modules, image, functionsFile] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(modules), 'run.cjs'));
const { RP2040 } = require('rp2040js');

const mcu = new RP2040();
const data = fs.readFileSync(image);
mcu.flash.set(data, 0);
const core = mcu.core;
const word = (i) => data.readUInt32LE(4 * i);
core.SP = word(0);
core.PC = word(1) & ~1;

const functions = JSON.parse(fs.readFileSync(functionsFile, 'utf8'));
const starts = functions.map((f) => f[0]);
const byName = new Map(functions.map((f) => [f[1], f[0]]));
const begin = byName.get('hop_begin');
const end = byName.get('hop_end');
// The function index of an address (cached per address).
const indexOf = new Map();
function functionAt(pc) {
  let i = indexOf.get(pc);
  if (i === undefined) {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= pc) lo = mid;
      else hi = mid - 1;
    }
    i = lo;
    indexOf.set(pc, i);
  }
  return i;
}
let done = null;
const decoder = new TextDecoder();
mcu.onBreak = (code) => {
  if (code !== 0xab) {
    done = `breakpoint ${code} at ${(core.PC - 2).toString(16)}`;
    return;
  }
  const op = core.registers[0];
  const arg = core.registers[1];
  if (op === 0x04) {
    const bytes = [];
    for (let a = arg; ; a++) {
      const b = mcu.readUint8(a);
      if (b === 0) break;
      bytes.push(b);
    }
    process.stdout.write(decoder.decode(new Uint8Array(bytes)));
  } else if (op === 0x18) {
    done = arg === 0x20026 ? 'exit 0' : 'exit 1';
  } else {
    done = `semihosting call ${op}`;
  }
};

const counts = new Map();
let stage = -1;
const hops = [];
let inHop = false;
let hopCycles = 0;
let steps = 0;
while (done === null) {
  const pc = core.PC;
  if (pc === begin) {
    inHop = true;
    hopCycles = 0;
  } else if (pc === end && inHop) {
    inHop = false;
    hops.push(hopCycles);
  }
  const cycles = core.executeInstruction();
  if (inHop) {
    hopCycles += cycles;
    const f = functionAt(pc);
    if (!functions[f][2]) stage = f;
    const key = `${functions[f][1]}|${stage >= 0 ? functions[stage][1] : '?'}`;
    counts.set(key, (counts.get(key) || 0) + cycles);
  }
  if (++steps > 2e9) {
    done = 'too many steps';
  }
}
process.stdout.write(
  `PROFILE ${JSON.stringify({ status: done, hops, counts: Object.fromEntries(counts) })}\n`,
);
