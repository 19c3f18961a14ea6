# The console protocol: what the detector prints, one message per line.
#
# Version 1, JSON lines (every object has "v": 1 and a "type"):
#   {"v":1,"type":"hello","model":"micro_speech","labels":[...],"hop_ms":20,"sample_rate":16000,
#    "source":"slot A seq 2 (micro_speech)"}
#   {"v":1,"type":"detection","t_ms":2340,"label":"yes","score":0.93}
#   {"v":1,"type":"stats","t_ms":10000,"hops":500,"inferences":250,"gated":0,
#    "overruns":0,"dropped":0,"malformed":0,"heap_free":41232}
#   {"v":1,"type":"error","message":"..."}
#   {"v":1,"type":"end","t_ms":12000}
# source (optional): where the model came from (earshot.Model.source: "frozen NAME",
# "slot A seq 2 (NAME)", "frozen default NAME: <why no slot>", "file PATH").
# t_ms is audio time (samples heard / sample rate), not wall time. score is 0..1.
# overruns: audio blocks lost (the pipeline fell behind, or the host's stream had gaps);
# dropped: the samples in them; malformed: input lines ignored (garbage, bad CRC, too long).
# Human mode prints the same events as aligned text. Lines are written with print() of
# constant strings and small ints, so the periodic stats line allocates nothing.

VERSION = 1


def _json_string(text):
    # Labels and messages are plain ASCII in practice; escape what JSON requires.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class Console:
    # Writes the messages to stdout (the board's console UART or USB, the Unix port's
    # standard output). Each message is one print() call: pieces passed as arguments,
    # not joined into a new string.
    def __init__(self, human=False, device=None):
        self.human = human
        self.device = device  # the board's id, said in hello and stats (fleet topics)
        # Who is speaking, repeated in every stats line (made once, at hello): a listener
        # that missed the hello (a streamer held the port then) still learns it.
        self.identity = ""
        self.mqtt = None  # an earshot.mqtt.MqttConsole publishing these messages too

    def hello(self, model, labels, hop_ms, sample_rate, source=None):
        if self.human:
            print("earshot: listening with ", model, " (", ", ".join(labels), ")",
                  "" if source is None else " from " + source, sep="")  # fmt: skip
            return
        names = ",".join(_json_string(label) for label in labels)
        device = "" if self.device is None else ',"device":' + _json_string(self.device)
        self.identity = device + ',"model":' + _json_string(model) + ',"labels":[' + names + "]"
        extra = ("" if source is None else ',"source":' + _json_string(source)) + device
        print('{"v":1,"type":"hello","model":', _json_string(model), ',"labels":[', names,
              '],"hop_ms":', hop_ms, ',"sample_rate":', sample_rate, extra, "}",
              sep="")  # fmt: skip

    def detection(self, t_ms, label, score_256):
        # score_256: the smoothed score on the 0..256 scale; printed with 2 decimals.
        hundredths = (score_256 * 100 + 128) // 256
        score = "{}.{:02d}".format(hundredths // 100, hundredths % 100)
        if self.human:
            bar = "#" * (hundredths // 5)
            print("{}.{:03d} s  ".format(t_ms // 1000, t_ms % 1000), label, "  ", score,
                  "  ", bar, sep="")  # fmt: skip
            return
        print('{"v":1,"type":"detection","t_ms":', t_ms, ',"label":', _json_string(label),
                    ',"score":', score, "}", sep="")  # fmt: skip

    def stats(self, t_ms, hops, inferences, gated, overruns, dropped, malformed, heap_free):
        if self.human:
            print("-- ", t_ms // 1000, " s: ", hops, " hops, ", inferences, " inferences, ",
                  gated, " gated, ", overruns, " overruns, ", dropped, " dropped, ", malformed,
                  " malformed, ", heap_free, " bytes free", sep="")  # fmt: skip
            return
        # Two calls: one print() with this many arguments would need a heap-allocated frame.
        print('{"v":1,"type":"stats","t_ms":', t_ms, ',"hops":', hops, ',"inferences":',
              inferences, ',"gated":', gated, sep="", end="")  # fmt: skip
        print(',"overruns":', overruns, ',"dropped":', dropped, ',"malformed":', malformed,
              ',"heap_free":', heap_free, self.identity, sep="", end="")  # fmt: skip
        if self.mqtt is not None:  # detections the MQTT queue had to drop (broker away)
            print(',"mqtt_dropped":', self.mqtt.dropped, sep="", end="")
        print("}")

    def stats_json(self, t_ms, hops, inferences, gated, overruns, dropped, malformed, heap_free):
        # The stats line as a string (allocates: for publishing, not for the console).
        return (
            '{{"v":1,"type":"stats","t_ms":{},"hops":{},"inferences":{},"gated":{},'
            '"overruns":{},"dropped":{},"malformed":{},"heap_free":{}{}{}}}'
        ).format(t_ms, hops, inferences, gated, overruns, dropped, malformed, heap_free,
                 self.identity,
                 "" if self.mqtt is None else ',"mqtt_dropped":{}'.format(self.mqtt.dropped),
                 )  # fmt: skip

    def error(self, message):
        if self.human:
            print("earshot: error: ", message, sep="")
            return
        print('{"v":1,"type":"error","message":', _json_string(message), "}", sep="")

    def end(self, t_ms):
        if self.human:
            print("earshot: end of audio at {}.{:03d} s".format(t_ms // 1000, t_ms % 1000))
            return
        print('{"v":1,"type":"end","t_ms":', t_ms, "}", sep="")
