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
// - rp2040js models no flash writes (its SSI answers a status read and nothing more):
//   NorSsi and QspiIo below model a serial NOR flash behind the SSI while the firmware
//   drives chip select by hand (the bootrom's flash_range_erase / flash_range_program /
//   flash_do_cmd): write enable, page program, 4/32/64 KiB and chip erase, read, status,
//   JEDEC and unique ID.
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
// rp2040js does not export its SSI class: take it from the instance.
const RPSSI = Object.getPrototypeOf(mcu.peripherals[0x18000]).constructor;

// ------------------------------------------------------------------ the NOR flash
const OUTOVER_LOW = 2;
const OUTOVER_HIGH = 3;

class NorFlash {
  constructor(mcu, file) {
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

  erase(offset, length) {
    offset = (offset & (this.size - 1)) & ~(length - 1);
    this.flash.fill(0xff, offset, offset + length);
    this.persist(offset, length);
    this.erases++;
  }
}

// One chip-select-low transaction of the SPI NOR command set.
class NorTransaction {
  constructor(nor, status) {
    this.nor = nor;
    this.status = status; // { wel }
    this.bytes = 0;
    this.cmd = -1;
    this.addr = 0;
    this.written = null; // [first, last] offsets programmed
  }

  exchange(value) {
    const index = this.bytes++;
    const nor = this.nor;
    if (index === 0) {
      this.cmd = value;
      if (value === 0x06) this.status.wel = true;
      if (value === 0x04) this.status.wel = false;
      return 0xff;
    }
    switch (this.cmd) {
      case 0x05: // read status register 1: never busy
        return this.status.wel ? 0x02 : 0x00;
      case 0x35: // status register 2: quad enabled
        return 0x02;
      case 0x9f: // JEDEC ID: a 2 MiB Winbond W25Q16
        return [0xef, 0x40, 0x15][(index - 1) % 3];
      case 0x4b: // unique ID after 4 dummy bytes
        return index <= 4 ? 0xff : 'earshot!'.charCodeAt((index - 5) % 8);
      case 0x02:
      case 0x03:
      case 0x0b:
      case 0x20:
      case 0x52:
      case 0xd8:
        if (index <= 3) {
          this.addr = ((this.addr << 8) | value) & 0xffffff;
          return 0xff;
        }
        break;
      default:
        return 0xff;
    }
    const offset = this.addr & (nor.size - 1);
    if (this.cmd === 0x03 || (this.cmd === 0x0b && index > 4)) {
      this.addr = (this.addr + 1) & 0xffffff;
      return nor.flash[offset];
    }
    if (this.cmd === 0x02 && this.status.wel) {
      nor.flash[offset] &= value; // programming only clears bits
      this.written = this.written ? [Math.min(this.written[0], offset), Math.max(this.written[1], offset)] : [offset, offset];
      this.addr = (this.addr & ~0xff) | ((this.addr + 1) & 0xff); // wraps within the page
    }
    return 0xff;
  }

  end() {
    const { nor, status } = this;
    const erase = { 0x20: 4096, 0x52: 32768, 0xd8: 65536 }[this.cmd];
    if (erase && this.bytes >= 4 && status.wel) {
      nor.erase(this.addr, erase);
    } else if ((this.cmd === 0x60 || this.cmd === 0xc7) && status.wel) {
      nor.erase(0, nor.size);
    } else if (this.written) {
      nor.persist(this.written[0], this.written[1] - this.written[0] + 1);
      nor.programs++;
    }
    if (this.cmd === 0x02 || erase || this.cmd === 0x60 || this.cmd === 0xc7) {
      status.wel = false;
    }
  }
}

const SSI_SR = 0x28;
const SSI_DR0 = 0x60;
const SSI_RXFLR = 0x24;
const SR_TFNF = 0x2;
const SR_TFE = 0x4;
const SR_RFNE = 0x8;

// The SSI: as rp2040js has it (boot2 and XIP), plus a full-duplex byte exchange with the
// NOR flash while the chip select is forced low.
class NorSsi extends RPSSI {
  constructor(mcu, nor) {
    super(mcu, 'SSI');
    this.nor = nor;
    this.status = { wel: false };
    this.transaction = null;
    this.rx = [];
  }

  select(low) {
    if (low && !this.transaction) {
      this.transaction = new NorTransaction(this.nor, this.status);
    } else if (!low && this.transaction) {
      this.transaction.end();
      this.transaction = null;
    }
  }

  readUint32(offset) {
    if (offset === SSI_DR0 && this.rx.length) {
      return this.rx.shift();
    }
    if (this.transaction) {
      if (offset === SSI_SR) return SR_TFNF | SR_TFE | (this.rx.length ? SR_RFNE : 0);
      if (offset === SSI_RXFLR) return this.rx.length;
    }
    return super.readUint32(offset);
  }

  writeUint32(offset, value) {
    if (offset === SSI_DR0 && this.transaction) {
      const reply = this.transaction.exchange(value & 0xff);
      if (this.rx.length < 16) this.rx.push(reply);
      return;
    }
    super.writeUint32(offset, value);
  }
}

// IO_QSPI: registers kept (so read-modify-write aliases work); the chip select's output
// override drives the NOR transaction.
class QspiIo {
  constructor(mcu, ssi) {
    this.ssi = ssi;
    this.regs = new Uint32Array(0x1000 / 4);
    this.rawWriteValue = 0;
  }

  readUint32(offset) {
    return this.regs[(offset & 0xfff) >> 2];
  }

  writeUint32(offset, value) {
    this.regs[(offset & 0xfff) >> 2] = value;
    if ((offset & 0xfff) === 0x0c) {
      // GPIO_QSPI_SS_CTRL: OUTOVER in bits 9:8
      const over = (value >> 8) & 3;
      if (over === OUTOVER_LOW) this.ssi.select(true);
      else if (over === OUTOVER_HIGH || over === 0) this.ssi.select(false);
    }
  }

  writeUint32Atomic(offset, value, atomicType) {
    const current = this.readUint32(offset);
    const next = [value, current ^ value, current | value, current & ~value][atomicType];
    this.writeUint32(offset, next >>> 0);
  }
}

// ---------------------------------------------------------------------- the board
mcu.logger = new ConsoleLogger(LogLevel.Error);
mcu.loadBootrom(readBootrom(args.bootrom)); // (resets the core and erases the flash)
const nor = new NorFlash(mcu, args.flash);
readImage(args.image, (offset, bytes) => mcu.flash.set(bytes, offset));
nor.persist(0, flashBytes);
const ssi = new NorSsi(mcu, nor);
mcu.peripherals[0x18000] = ssi;
mcu.peripherals[0x40018] = new QspiIo(mcu, ssi);

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
