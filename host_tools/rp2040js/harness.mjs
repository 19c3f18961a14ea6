// earshot's harness around rp2040js: the emulated Raspberry Pi Pico as a target.
//
//   node harness.mjs --modules DIR --bootrom B1.bin --image firmware.uf2 \
//        --flash build/pico_i2s/flash.bin [--flash-bytes 2097152] \
//        --pty-fd N [--hold-fd M]
//
// - Loads the RP2040 B1 bootrom (a raw 16 KiB image; never part of the repository) and
//   the firmware (.uf2, or a raw .bin at the start of flash).
// - The flash persists in a file (--flash): loaded at start, the firmware's blocks laid
//   over it, and every erase or program the firmware makes written back at once, so a
//   model written by one command is there for the next.
// - rp2040js models no flash writes: the bootrom's flash routines are replaced by
//   breakpoints that the harness serves on the flash array (class Flash).
// - The REPL (USB CDC) is bridged to a pty master given as --pty-fd (the host opens the
//   slave: a serial port like any other); --hold-fd keeps the slave open meanwhile.
// - Prints "earshot-rp2040js: ready" once the USB serial is up, and the cycles executed
//   when it stops (SIGTERM/SIGINT). The clock of rp2040js counts cycles at 125 MHz:
//   time.ticks_us() on the board is cycles / 125.

import fs from 'node:fs';
import path from 'node:path';
import tty from 'node:tty';
import { createRequire } from 'node:module';

function parseArgs(argv) {
  const args = { 'flash-bytes': '2097152' };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i];
    if (!key.startsWith('--') || i + 1 >= argv.length) {
      throw new Error(`bad argument ${key}`);
    }
    args[key.slice(2)] = argv[++i];
  }
  for (const need of ['modules', 'bootrom', 'image', 'flash', 'pty-fd']) {
    if (!(need in args)) {
      throw new Error(`--${need} is required`);
    }
  }
  return args;
}

function fail(message) {
  process.stderr.write(`earshot-rp2040js: error: ${message}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (err) {
  fail(err.message);
}
const require = createRequire(path.join(path.resolve(args.modules), 'harness.cjs'));
const { Simulator, USBCDC, ConsoleLogger, LogLevel } = require('rp2040js');

const FLASH_START = 0x10000000;
const flashBytes = Number(args['flash-bytes']);

// ------------------------------------------------------------------------- images
function readBootrom(file) {
  const data = fs.readFileSync(file);
  if (data.length !== 16384) {
    fail(`${file}: ${data.length} bytes; the RP2040 bootrom is 16384`);
  }
  return new Uint32Array(data.buffer, data.byteOffset, 4096);
}

// Calls put(flashOffset, bytes) for every block of a UF2 (or the whole of a raw .bin).
function readImage(file, put) {
  const data = fs.readFileSync(file);
  if (!file.endsWith('.uf2')) {
    put(0, data);
    return;
  }
  for (let at = 0; at + 512 <= data.length; at += 512) {
    const view = new DataView(data.buffer, data.byteOffset + at, 512);
    if (view.getUint32(0, true) !== 0x0a324655 || view.getUint32(4, true) !== 0x9e5d5157) {
      fail(`${file}: block ${at / 512} is not a UF2 block`);
    }
    const address = view.getUint32(12, true);
    const size = view.getUint32(16, true);
    if (address < FLASH_START || address + size > FLASH_START + flashBytes) {
      fail(`${file}: block at 0x${address.toString(16)} is outside the ${flashBytes}-byte flash`);
    }
    put(address - FLASH_START, data.subarray(at + 32, at + 32 + size));
  }
}

const simulator = new Simulator();
const mcu = simulator.rp2040;

// ------------------------------------------------------------------ the flash
// rp2040js models no flash writes: its SSI answers a status read and nothing more, and
// the bootrom's flash routines give up at once. The firmware writes flash only through
// those routines (found through the bootrom's function table, as the pico-sdk does), so
// the harness replaces each with a breakpoint stub, `BKPT #n; BX LR`, and does the work
// here on the flash array, with NOR rules: erase sets bytes to 0xff, programming only
// clears bits. Every change is written to the flash file at once.
class Flash {
  constructor(mcu, file) {
    this.mcu = mcu;
    this.flash = mcu.flash;
    this.size = flashBytes;
    this.fd = fs.openSync(file, fs.existsSync(file) ? 'r+' : 'w+');
    const stored = fs.fstatSync(this.fd).size;
    this.flash.fill(0xff);
    if (stored > 0) {
      fs.readSync(this.fd, this.flash, 0, Math.min(stored, this.size), 0);
    }
    this.erases = 0;
    this.programs = 0;
  }

  persist(offset, length) {
    fs.writeSync(this.fd, this.flash, offset, length, offset);
  }

  inRange(offset, length) {
    return offset >= 0 && length >= 0 && offset + length <= this.size;
  }

  // flash_range_erase(offset, count, block_size, block_cmd): whole 4 KiB sectors.
  erase(offset, count) {
    const start = offset & ~0xfff;
    const end = (offset + count + 0xfff) & ~0xfff;
    if (!this.inRange(start, end - start)) return;
    this.flash.fill(0xff, start, end);
    this.persist(start, end - start);
    this.erases++;
  }

  // flash_range_program(offset, data, count): data in RAM (or anywhere the core reads).
  program(offset, data, count) {
    if (!this.inRange(offset, count)) return;
    for (let i = 0; i < count; i++) {
      this.flash[offset + i] &= this.mcu.readUint8(data + i);
    }
    this.persist(offset, count);
    this.programs++;
  }
}

const ROM_FUNCTIONS = ['IF', 'EX', 'RE', 'RP', 'FC', 'CX'];

// Replaces the bootrom's flash routines by `BKPT #n; BX LR`, n the index in ROM_FUNCTIONS.
function stubFlashRoutines(bootrom) {
  const rom = new DataView(bootrom.buffer, bootrom.byteOffset, bootrom.byteLength);
  let entry = rom.getUint16(0x14, true);
  const found = new Set();
  for (; rom.getUint16(entry, true) !== 0; entry += 4) {
    const code = rom.getUint16(entry, true);
    const name = String.fromCharCode(code & 0xff, code >> 8);
    const index = ROM_FUNCTIONS.indexOf(name);
    if (index >= 0) {
      const at = rom.getUint16(entry + 2, true) & ~1;
      rom.setUint16(at, 0xbe00 | index, true);
      rom.setUint16(at + 2, 0x4770, true);
      found.add(name);
    }
  }
  if (found.size !== ROM_FUNCTIONS.length) {
    fail(`the bootrom lacks flash routines ${ROM_FUNCTIONS.filter((f) => !found.has(f))}`);
  }
}

// ---------------------------------------------------------------------- the board
mcu.logger = new ConsoleLogger(LogLevel.Error);
const bootrom = readBootrom(args.bootrom);
stubFlashRoutines(bootrom);
mcu.loadBootrom(bootrom); // (resets the core and erases the flash)
const nor = new Flash(mcu, args.flash);
readImage(args.image, (offset, bytes) => mcu.flash.set(bytes, offset));
nor.persist(0, flashBytes);

mcu.onBreak = (code) => {
  const r = mcu.core.registers;
  switch (ROM_FUNCTIONS[code]) {
    case 'RE':
      nor.erase(r[0], r[1]);
      break;
    case 'RP':
      nor.program(r[0], r[1], r[2]);
      break;
    case undefined:
      process.stderr.write(`earshot-rp2040js: breakpoint ${code} at 0x${mcu.core.PC.toString(16)}\n`);
      simulator.stop();
      break;
    default: // connect, exit XIP, flush cache, enter XIP: nothing to do here
  }
};

// ------------------------------------------------------------- USB serial <-> pty
const ptyFd = Number(args['pty-fd']);
const cdc = new USBCDC(mcu.usbCtrl);
const pending = []; // bytes from the host not yet taken by the board
let pendingBytes = 0;
let connected = false;
const input = new tty.ReadStream(ptyFd);

function feed() {
  const fifo = cdc.txFIFO;
  while (connected && pending.length && !fifo.full) {
    const chunk = pending[0];
    let used = 0;
    while (used < chunk.length && !fifo.full) {
      fifo.push(chunk[used++]);
    }
    pendingBytes -= used;
    if (used === chunk.length) pending.shift();
    else pending[0] = chunk.subarray(used);
  }
  if (pendingBytes < 65536 && input.isPaused()) input.resume();
}

const boardRead = mcu.usbCtrl.onEndpointRead;
mcu.usbCtrl.onEndpointRead = (endpoint, size) => {
  feed();
  boardRead(endpoint, size);
};

cdc.onDeviceConnected = () => {
  connected = true;
  feed();
  process.stdout.write('earshot-rp2040js: ready\n');
};

let output = [];
let flushing = false;
function flushOutput() {
  while (output.length) {
    const chunk = output[0];
    let n = 0;
    try {
      n = fs.writeSync(ptyFd, chunk);
    } catch (err) {
      if (err.code === 'EAGAIN') break;
      throw err;
    }
    if (n === chunk.length) output.shift();
    else output[0] = chunk.subarray(n);
  }
  if (output.length && !flushing) {
    flushing = true;
    setTimeout(() => {
      flushing = false;
      flushOutput();
    }, 1);
  }
}

cdc.onSerialData = (bytes) => {
  output.push(Buffer.from(bytes));
  flushOutput();
};

input.on('data', (chunk) => {
  pending.push(chunk);
  pendingBytes += chunk.length;
  if (pendingBytes >= 65536) input.pause();
  feed();
});
input.on('error', (err) => {
  if (err.code !== 'EIO') process.stderr.write(`earshot-rp2040js: pty: ${err.message}\n`);
});

function stop(signal) {
  process.stdout.write(
    `earshot-rp2040js: stopped (${signal}) after ${mcu.core.cycles} cycles; ` +
      `flash: ${nor.erases} erases, ${nor.programs} programs\n`,
  );
  fs.closeSync(nor.fd);
  process.exit(0);
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

mcu.core.PC = FLASH_START; // boot2 at the start of flash, as the bootrom would run it
simulator.execute();
