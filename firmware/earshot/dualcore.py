# Inference on a second core (the RP2040's core 1, through _thread): the first core keeps
# the audio, the front end, the feature window and the detector; at each inference it
# hands the window over and goes on with the next hops while the second core runs the
# model. Where it pays: on the Pico (rp2040js, 125 MHz) the front end of mlperf_kws takes
# 6.2 ms of each 20 ms hop and its inference 110 ms; every 5 hops one core would need
# 5 x 6.2 + 110 = 141 ms of each 100 ms, split the second core needs 110 ms: more than the
# period. With `second` (another Model over the same model bytes: a second arena) the
# inferences alternate between the cores, the first core running every other one itself
# between its hops: per 200 ms the first core then needs 10 x 6.2 + 110 = 172 ms, the
# second 110 ms. (At 200 MHz one core alone would need 88 of each 100 ms.)
#
# The hook, for the pipeline (earshot.stream), all on the first core:
#
#     cores = InferenceCore(model, on_output)  # starts the second core
#     ...each hop:
#     cores.poll()                             # on_output(output) if an inference finished
#     cores.wait()                             # the same, waiting for it (if one runs)
#     if inference_due:
#         cores.handover(fill)                 # fill(model.input): the window, copied in
#     ...at the end:
#     cores.close()                            # the last output, then the core stops
#
# Outputs reach on_output one at a time and in order. handover() waits while the second
# core is still busy (a live source keeps filling its ring meanwhile; a ring that
# overflows counts its lost blocks: with alternation the ring must hold an inference's
# worth of hops) or, with wait=False, drops that inference and counts it. Nothing here
# allocates after the constructor: the handshake is locks, the window goes straight into
# the model's input (the model reads nothing else while idle).

import _thread
import sys

# Bytes of the second core's stack: the kernels' deepest frames (about 3 KB on the M0)
# plus the interpreter's calls into them. A host's (the Unix port: x64 frames, and its
# GC's signal handler on top) needs more: mlperf_kws overran 16 KB there, now and then.
STACK_BYTES = 65536 if sys.platform in ("linux", "darwin") else 8192


class InferenceCore:
    def __init__(self, model, on_output, second=None, stack_bytes=STACK_BYTES):
        self.model = model
        self.second = second  # the first core's own model (alternation), or None
        self._mine = False  # the next inference is the first core's
        self.on_output = on_output
        self.handed = 0  # inferences handed over
        self.finished = 0  # outputs passed to on_output
        self.dropped = 0  # handover(wait=False) found the core busy
        self.busy = False  # handed over, output not yet passed on
        self._stop = False
        self._failed = None  # what ended the second core, if anything
        self._work = _thread.allocate_lock()  # released by handover: run the model
        self._done = _thread.allocate_lock()  # released by the second core: output ready
        self._running = _thread.allocate_lock()  # held by the second core while it lives
        self._started = _thread.allocate_lock()  # released once the second core runs
        self._work.acquire()
        self._done.acquire()
        self._started.acquire()
        try:
            _thread.stack_size(stack_bytes)
            _thread.start_new_thread(self._run, ())
        except (AttributeError, ValueError, OSError):
            # A port whose threads take another stack size: its default.
            _thread.stack_size(0)
            _thread.start_new_thread(self._run, ())
        self._started.acquire()

    def _run(self):
        self._running.acquire()
        self._started.release()
        model = self.model
        try:
            while True:
                self._work.acquire()
                if self._stop:
                    break
                model.invoke()
                self._done.release()
        except Exception as err:  # noqa: BLE001 - raised again on the first core
            self._failed = err
            self._done.release()
        self._running.release()

    def handover(self, fill, wait=True):
        # One inference: fill(model.input) here, then the model on the second core. When
        # the previous inference is still running, wait for it (its output goes to
        # on_output first) or, with wait=False, drop this one. True if handed over.
        # Alternating, every other inference runs here, on the second model, at once.
        if self._mine:
            self._mine = False
            second = self.second
            fill(second.input)
            second.invoke()
            if self.busy:
                self._finish(True)  # the second core's earlier window first
            self.handed += 1
            self.finished += 1
            self.on_output(second.output)
            return True
        if self.busy:
            if not wait:
                self.dropped += 1
                return False
            self._finish(True)
        fill(self.model.input)
        self.busy = True
        self.handed += 1
        self._mine = self.second is not None
        self._work.release()
        return True

    def poll(self):
        # Pass a finished inference's output to on_output; True if there was one.
        return self.busy and self._finish(False)

    def wait(self):
        # Wait for the running inference: its output to on_output; True if there was one.
        return self.busy and self._finish(True)

    def _finish(self, wait):
        if not self._done.acquire(1 if wait else 0):
            return False
        if self._failed is not None:
            err, self._failed = self._failed, None
            self.busy = False
            raise RuntimeError("inference core stopped: {}".format(err))
        self.busy = False
        self.finished += 1
        self.on_output(self.model.output)
        return True

    def close(self):
        # The running inference's output to on_output, then stop the second core.
        if self._stop:
            return
        if self.busy:
            self._finish(True)
        self._stop = True
        self._work.release()
        self._running.acquire()  # the second core has left its loop
        self._running.release()
