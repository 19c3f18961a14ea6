# The console protocol: what the detector prints, one message per line.
#
# Version 1, JSON lines (every object has "v": 1 and a "type"):
#   {"v":1,"type":"hello","model":"micro_speech","labels":[...],"hop_ms":20,"sample_rate":16000,
#    "source":"slot A seq 2 (micro_speech)","device":"e6614c311b7a2f37",
#    "settings":{"rule":"average","threshold":0.784,"average_ms":1000,"min_count":3,
#                "suppress_ms":1500,"every":2,"gate":null}}
#   {"v":1,"type":"detection","t_ms":2340,"label":"yes","score":0.93}
#   {"v":1,"type":"stats","t_ms":10000,"hops":500,"inferences":250,"gated":0,
#    "overruns":0,"dropped":0,"malformed":0,"heap_free":41232}
#   {"v":1,"type":"audio","t_ms":2340,"crc":305419896,"pcm":"<base64>"}   (--record)
#   {"v":1,"type":"scores","t_ms":2340,"q":[-128,-120,127,-128]}            (--scores)
#   {"v":1,"type":"error","message":"..."}
#   {"v":1,"type":"end","t_ms":12000}
# source (optional): where the model came from (earshot.Model.source: "frozen NAME",
# "slot A seq 2 (NAME)", "frozen default NAME: <why no slot>", "file PATH").
# device (optional): the board's id (earshot.device); settings: the detector
# settings in force (earshot.settings). t_ms is audio time (samples heard / sample rate,
# plus --t0-ms), not wall time, exact for any uptime (it may pass 2**32). score is 0..1.
# overruns: audio blocks lost (the pipeline fell behind, or the host's stream had gaps);
# dropped: the samples in them; malformed: input lines ignored (garbage, bad CRC, too long).
# audio: one hop of int16 little-endian samples heard from t_ms on, its CRC-32. scores:
# the raw output of the inference that ended at t_ms (the tensor's int8 or uint8 values).
# Human mode prints the same events as aligned text. Lines are written with print() of
# constant strings and small ints (a count as two of them: earshot.clock), so the periodic
# stats line and a detection line allocate nothing.

from .clock import GATED, HOPS, INFERENCES, MS, total

VERSION = 1

# Zeros that pad the low nine digits of a Count, by the number of digits of the low part.
_PAD = ("", "00000000", "0000000", "000000", "00000", "0000", "000", "00", "0", "")


def _json_string(text):
    # Labels and messages are plain ASCII in practice; escape what JSON requires.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _digits(n):
    d, limit = 1, 10
    while n >= limit and d < 9:
        d += 1
        limit *= 10
    return d


def put(c, at):
    # Print the count at `at` of counts c (earshot.clock) with no line end, allocating
    # nothing.
    hi, lo = c[at], c[at + 1]
    if hi:
        print(hi, _PAD[_digits(lo)], lo, sep="", end="")
    else:
        print(lo, end="")


def _seconds(c):
    ms = total(c, MS)
    return "{}.{:03d} s".format(ms // 1000, ms % 1000)


class Console:
    # Writes the messages to stdout (the board's console UART or USB, the Unix port's
    # standard output). Each message is a few print() calls: pieces passed as arguments,
    # not joined into a new string.
    def __init__(self, human=False, device=None):
        self.human = human
        self.device = device  # the board's id, said in hello and stats (fleet topics)
        # Who is speaking, repeated in every stats line (made once, at hello): a listener
        # that missed the hello (a streamer held the port then) still learns it.
        self.identity = ""
        self.mqtt = None  # an earshot.mqtt.MqttConsole publishing these messages too
        self._quoted = {}  # label -> its JSON string, made once

    def _quote(self, label):
        quoted = self._quoted.get(label)
        if quoted is None:
            quoted = self._quoted[label] = _json_string(label)
        return quoted

    def hello(self, model, labels, hop_ms, sample_rate, source=None, settings=None):
        if self.human:
            print("earshot: listening with ", model, " (", ", ".join(labels), ")",
                  "" if source is None else " from " + source, sep="")  # fmt: skip
            if settings:
                print("earshot: settings", " ".join(
                    "{}={}".format(k, settings[k]) for k in sorted(settings)))  # fmt: skip
            return
        names = ",".join(_json_string(label) for label in labels)
        device = "" if self.device is None else ',"device":' + _json_string(self.device)
        self.identity = device + ',"model":' + _json_string(model) + ',"labels":[' + names + "]"
        extra = ("" if source is None else ',"source":' + _json_string(source)) + device
        print('{"v":1,"type":"hello","model":', _json_string(model), ',"labels":[', names,
              '],"hop_ms":', hop_ms, ',"sample_rate":', sample_rate, extra, sep="",
              end="")  # fmt: skip
        if settings is not None:
            # Piece by piece: a small board has little heap left for one long string.
            sep = ',"settings":{'
            for key in settings:
                value = settings[key]
                print(sep, '"', key, '":', sep="", end="")
                if isinstance(value, str):
                    print('"', value, '"', sep="", end="")
                elif isinstance(value, float):
                    # 6 digits: the value as given (a port's float parsing may not round
                    # "0.97" to the nearest double: 0.9699999999999999).
                    print("{:.6g}".format(value), end="")
                else:
                    print("null" if value is None else value, end="")
                sep = ","
            print("}", end="")
        print("}")

    def detection(self, counts, label, score_256):
        # At the audio time of counts (earshot.clock); score_256: the smoothed score on the
        # 0..256 scale, printed with 2 decimals.
        hundredths = (score_256 * 100 + 128) // 256
        whole, frac = hundredths // 100, hundredths % 100
        if self.human:
            print(_seconds(counts), "  ", label, "  ", whole, ".",
                  "0" if frac < 10 else "", frac, "  ", "#" * (hundredths // 5),
                  sep="")  # fmt: skip
            return
        print('{"v":1,"type":"detection","t_ms":', end="")
        put(counts, MS)
        print(',"label":', self._quote(label), ',"score":', whole, ".",
              "0" if frac < 10 else "", frac, "}", sep="")  # fmt: skip

    def stats(self, c, overruns, dropped, malformed, heap_free):
        # c: the listener's counts (earshot.clock: time, hops, inferences, gated).
        if self.human:
            print("-- ", _seconds(c), ": ", total(c, HOPS), " hops, ", total(c, INFERENCES),
                  " inferences, ", total(c, GATED), " gated, ", sep="", end="")  # fmt: skip
            print(overruns, " overruns, ", dropped, " dropped, ", malformed, " malformed, ",
                  heap_free, " bytes free", sep="")  # fmt: skip
            return
        print('{"v":1,"type":"stats","t_ms":', end="")
        put(c, MS)
        print(',"hops":', end="")
        put(c, HOPS)
        print(',"inferences":', end="")
        put(c, INFERENCES)
        print(',"gated":', end="")
        put(c, GATED)
        print(',"overruns":', overruns, ',"dropped":', dropped, ',"malformed":', malformed,
              ',"heap_free":', heap_free, self.identity, sep="", end="")  # fmt: skip
        if self.mqtt is not None:  # detections the MQTT queue had to drop (broker away)
            print(',"mqtt_dropped":', self.mqtt.dropped, sep="", end="")
        print("}")

    def stats_json(self, c, overruns, dropped, malformed, heap_free):
        # The stats line as a string (allocates: for publishing, not for the console).
        return (
            '{{"v":1,"type":"stats","t_ms":{},"hops":{},"inferences":{},"gated":{},'
            '"overruns":{},"dropped":{},"malformed":{},"heap_free":{}{}{}}}'
        ).format(total(c, MS), total(c, HOPS), total(c, INFERENCES), total(c, GATED), overruns,
                 dropped, malformed, heap_free, self.identity,
                 "" if self.mqtt is None else ',"mqtt_dropped":{}'.format(self.mqtt.dropped),
                 )  # fmt: skip

    def scores(self, counts, output):
        print('{"v":1,"type":"scores","t_ms":', end="")
        put(counts, MS)
        sep = ',"q":['
        for q in output:
            print(sep, q, sep="", end="")
            sep = ","
        print("]}")

    def error(self, message):
        if self.human:
            print("earshot: error: ", message, sep="")
            return
        print('{"v":1,"type":"error","message":', _json_string(message), "}", sep="")

    def end(self, counts):
        if self.human:
            print("earshot: end of audio at", _seconds(counts))
            return
        print('{"v":1,"type":"end","t_ms":', end="")
        put(counts, MS)
        print("}")
