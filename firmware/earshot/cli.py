# The device's command line: `micropython -m earshot ARGS` runs main(ARGS), and a board's
# raw REPL runs exactly the same with `from earshot.cli import main; main([...])`.
#
#   micropython -m earshot --model micro_speech --wav speech.wav [--realtime]
#   micropython -m earshot --wav speech.wav    (the active model: earshot.active_model())
#   arecord -f S16_LE -r 16000 -c 1 | micropython -m earshot --model micro_speech --stdin
#   from earshot.cli import main; main(["--uart", "--threshold", "0.7"])   (on a board)
#
# Model: --model NAME (frozen) or PATH (an .esm file: Model.from_file); --model-file PATH
# is the same as --model PATH; neither: the board's active model (the newest valid model
# slot, else the frozen default).
# Source (one): --wav FILE | --stdin (raw s16le PCM) | --mic (the board's I2S microphone;
# on the Unix port 32-bit I2S slots on stdin; --mic-gain-bits N: 6 dB per bit) | --uart (the
# host's protocol lines on the console: `earshot listen`/`stream`).
# Detector settings (earshot.settings): --threshold P --average-ms N --min-count N
# --suppress-ms N --every N --gate DBFS --settings FILE (options win over the file).
# Output: --human (readable lines instead of JSON), --stats-ms N (0: off), --t0-ms N (the
# audio clock starts at N ms), --device ID (the hello's device id), --realtime (play a
# file at the speed of audio), --record (send the audio heard as protocol lines) or
# --record-on-detection (the 2 s around each detection), --scores (every inference's raw
# output as a "scores" line).
# Fleet: --mqtt HOST:PORT publishes detections and stats to a broker as well (earshot.mqtt;
# --mqtt-queue N: detections kept while the broker is away, default 16).
# Cores: --cores 2 runs the model on the second core (_thread: the RP2040's core 1; this
# core keeps the audio, the front end and the detector), --alternate with it gives every
# other inference to each core (a second arena: when one inference takes longer than its
# period); --cores 2 where _thread is missing is an error.
# Cascade: --vad NAME|PATH|DBFS (a first stage in front of a streaming model, earshot.cascade:
# a frozen VAD model, a VAD model file, or an energy level in dBFS such as -30).
# With no arguments it prints the banner. main() returns the exit status: 0, 1 (an error,
# reported as an error message), 2 (bad arguments, with the usage on stderr).


import sys

import earshot


def open_source(opts, rate, hop):
    # The source of the options, for audio at rate in hops of hop samples.
    if "--wav" in opts:
        from .sources.wav import WavSource

        return WavSource(opts["--wav"], expect_rate=rate)
    if "--stdin" in opts:
        from .sources.stdin import StdinSource

        return StdinSource(rate)
    if "--uart" in opts:
        from .sources.uart import LineSource

        return LineSource(rate, hop)
    try:
        from machine import I2S  # noqa: F401
    except ImportError:
        if sys.platform not in ("linux", "darwin"):
            raise
        from .sources.stdin_mic import StdinMicSource

        return StdinMicSource(rate, hop, opts["gain_bits"])
    from .sources.i2s import I2SSource

    return I2SSource(rate, hop, gain_bits=opts["gain_bits"])


def pacer(hop_ms):
    # pace(): waits until the audio of one more hop is due (wrapping ticks: any length).
    import time

    deadline = [time.ticks_ms()]

    def pace():
        deadline[0] = time.ticks_add(deadline[0], hop_ms)
        ahead = time.ticks_diff(deadline[0], time.ticks_ms())
        if ahead > 0:
            time.sleep_ms(ahead)

    return pace


def main(argv):
    if not argv:
        print(earshot.banner())
        return 0
    from . import options
    from .protocol import Console
    from .stream import Listener

    try:
        opts = options.parse(argv)
    except ValueError as err:
        if "--settings" in str(err) or "settings file" in str(err):
            Console().error(str(err))  # a bad file, not bad usage
            return 1
        print("earshot:", err, file=sys.stderr)
        print(options.USAGE, file=sys.stderr)
        return 2
    console = Console(human="--human" in opts)
    source = None
    try:
        console.device = options.device_id(opts.get("--device"))
        if "--mqtt" in opts:
            from .mqtt import MqttConsole

            console = MqttConsole(console, opts["--mqtt"], console.device, opts["mqtt_queue"])
        model = options.load_model(opts.get("--model", opts.get("--model-file")))
        cascade = options.make_cascade(opts["--vad"], model) if "--vad" in opts else None
        options.forget("earshot.options")
        options = None
        listener = Listener(
            model,
            console,
            settings=opts["settings"],
            # A microphone keeps talking while the model runs: slack for the longest
            # inference; pulled sources need only two slots.
            ring_slots=4 if "--mic" in opts else 2,
            stats_ms=opts["stats"],
            t0_ms=opts["t0"],
            cascade=cascade,
            cores=opts["cores"],
            alternate="--alternate" in opts,
            # The source's buffers go with the pipeline's (the bottom of the heap).
            open_source=lambda rate, hop: open_source(opts, rate, hop),
        )
        source = listener.source
        if "--record" in opts or "--record-on-detection" in opts:
            from .record import Recorder

            listener.tap = Recorder(listener.frontend.hop, listener.hop_ms,
                                    on_detection="--record-on-detection" in opts)  # fmt: skip
        listener.trace = "--scores" in opts
        listener.run(source, pacer(listener.hop_ms) if "--realtime" in opts else None)
    except (ValueError, OSError, ImportError) as err:
        console.error(str(err))
        return 1
    except MemoryError:
        import gc

        gc.collect()
        console.error("out of memory (the pipeline does not fit): {} bytes of heap free".format(
            gc.mem_free()))  # fmt: skip
        return 1
    finally:
        if source is not None:
            source.close()
    return 0
