"""`earshot evaluate`: the truth readers (MLPerf's stream spec format, CSV), MLPerf's
matching, and the command's counts against this test's own matching of `earshot listen`
output on several streams."""

from __future__ import annotations

import json

import pytest

from earshot_host.cli import main
from earshot_host.errors import EarshotError
from earshot_host.evaluate import Detection, match
from earshot_host.frontend.wav import write_wav
from earshot_host.mlperf_stream import render
from earshot_host.paths import project_root
from earshot_host.scenes import Placement, clips_dir, compose, write_scene
from earshot_host.truth import Truth, Word, parse_csv, read_truth

SPEC = project_root() / "tests" / "data" / "streams" / "mlperf_spec.json"


def test_the_mlperf_spec_reader_reads_the_benchmarks_format():
    truth = read_truth(SPEC, "marvin")
    assert [(w.label, w.start_s, w.end_s, w.gain) for w in truth.words] == [
        ("marvin", 1.25, 2.25, 1.0),
        ("marvin", 7.0, 8.0, 0.5),
        ("marvin", 10.4, 11.4, 0.25),
    ]
    assert truth.length_s == 14.0
    assert truth.words[0].clip == "{earshot_audio}/marvin_617de221_0.wav"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"configs_background": []}', "no configs_wakeword"),
        ('{"configs_wakeword": [["a.wav", 1.0]]}', "expected [clip, start second, gain]"),
        ('{"configs_wakeword": [["a.wav", "x", 1.0]]}', "is not a number"),
        ('{"configs_wakeword": [["a.wav", -1, 1.0]]}', "negative start"),
        ("{", "not valid JSON"),
    ],
)
def test_a_bad_spec_is_refused_naming_the_problem(tmp_path, text, problem):
    path = tmp_path / "spec.json"
    path.write_text(text)
    with pytest.raises(EarshotError, match=problem.replace("[", r"\[")):
        read_truth(path, "marvin")


def test_the_csv_reader_and_its_errors(tmp_path):
    truth = parse_csv("label,start_s,end_s\nyes,1.5,2.5\n\nno,0.25,1.0\n")
    assert [(w.label, w.start_s, w.end_s) for w in truth.words] == [
        ("no", 0.25, 1.0),
        ("yes", 1.5, 2.5),
    ]
    for text, problem in (
        ("start,end\n", "first line must be label,start_s,end_s"),
        ("label,start_s,end_s\nyes,2,1\n", ":2: need 0 <= start_s <= end_s"),
        ("label,start_s,end_s\nyes,a,1\n", ":2: start_s and end_s must be numbers"),
    ):
        with pytest.raises(EarshotError, match=problem):
            parse_csv(text, "t.csv")
    other = tmp_path / "truth.txt"
    other.write_text("yes 1 2\n")
    with pytest.raises(EarshotError, match="MLPerf stream spec .* or a CSV"):
        read_truth(other)


def test_mlperf_matching():
    truth = Truth([Word("yes", 1.0, 2.0), Word("yes", 10.0, 11.0), Word("no", 5.0, 6.0)])
    detections = [
        Detection(0.9, "yes"),  # before its word: false
        Detection(1.0, "yes"),  # at the start (inclusive): finds word 1
        Detection(2.4, "yes"),  # inside the same interval again: neither
        Detection(2.6, "yes"),  # after end + 0.5: false
        Detection(11.5, "yes"),  # at end + 0.5 (inclusive): finds word 2
        Detection(5.5, "go"),  # a label absent from the truth: apart
        Detection(5.5, "yes"),  # the wrong label inside "no": false
    ]
    e = match(detections, truth, 7200.0)
    assert (e.words, e.found, e.missed, e.false) == (3, 2, 1, 3)
    assert e.other_labels == {"go": 1}
    assert e.false_per_hour == pytest.approx(1.5)
    assert e.frr == pytest.approx(1 / 3)
    assert e.latencies_s == pytest.approx([-1.0, 0.5])
    assert [(w.label, w.start_s) for w in e.missed_words] == [("no", 5.0)]
    # On negatives, the labels the model reports count as false.
    assert match([Detection(3.0, "go")], Truth([]), 3600.0, {"go"}).false == 1


def own_matching(detections, words):
    """This test's own reading of MLPerf's rule: (found, missed, false)."""
    found = set()
    false = 0
    for t, label in sorted(detections):
        hits = [i for i, (lab, s, e) in enumerate(words) if lab == label and s <= t <= e + 0.5]
        if not hits:
            if label in {lab for lab, _, _ in words}:
                false += 1
        elif not all(i in found for i in hits):
            found.add(min(i for i in hits if i not in found))
    return len(found), len(words) - len(found), false


def earshot(capsys, *args: str) -> tuple[int, str, str]:
    """(status, stdout, stderr) of the earshot command, run in this process."""
    capsys.readouterr()
    status = main(list(args))
    out = capsys.readouterr()
    return status, out.out, out.err


def streams(tmp_path):
    """(model, wav, truth file, truth words, extra options) of several streams."""
    samples, truth = render(json.loads(SPEC.read_text()), {"earshot_audio": str(clips_dir())})
    wav = tmp_path / "marvin.wav"
    write_wav(wav, samples, 16_000)
    marvin = [(w.label, w.start_s, w.end_s) for w in read_truth(SPEC, "marvin").words]
    scene = compose(
        [
            Placement("yes_1000ms", 1_000, 0.0, "yes"),
            Placement("no_1000ms", 4_000, -6.0, "no"),
            Placement("yes_1000ms", 7_000, -12.0, "yes"),
            Placement("noise_1000ms", 10_000, 0.0),
        ],
        12_000,
        -55.0,
    )
    speech = tmp_path / "speech.wav"
    write_scene(speech, scene)
    csv = tmp_path / "speech.csv"
    words = [(e.label, e.start_ms / 1000, e.end_ms / 1000) for e in scene.events]
    csv.write_text("label,start_s,end_s\n" + "".join(f"{a},{b},{c}\n" for a, b, c in words))
    return [
        ("mlperf_sww", wav, SPEC, marvin, ()),
        ("mlperf_sww", wav, SPEC, marvin, ("--threshold", "0.35", "--suppress-ms", "200")),
        ("micro_speech", speech, csv, words, ()),
        ("micro_speech", speech, csv, words, ("--threshold", "0.5", "--min-count", "1")),
    ]


@pytest.mark.kinds("unix")
def test_evaluate_counts_agree_with_matching_listen_output(target, tmp_path, capsys):
    totals = [0, 0, 0]
    for model, wav, truth, words, options in streams(tmp_path):
        base = ("--target", "unix", "--model", model, "--wav", str(wav))
        status, out, err = earshot(capsys, "listen", *base, "--json", *options)
        assert status == 0, err
        messages = [json.loads(x) for x in out.splitlines()]
        detections = [(m["t_ms"] / 1000, m["label"]) for m in messages if m["type"] == "detection"]
        expected = own_matching(detections, words)
        status, out, err = earshot(capsys, "evaluate", *base, "--truth", str(truth), "--json",
                                   *options)  # fmt: skip
        assert status == 0, err
        summary = json.loads(out.splitlines()[-1])
        assert (summary["found"], summary["missed"], summary["false"]) == expected, options
        duration = 14.0 if model == "mlperf_sww" else 12.0
        assert summary["false_per_hour"] == pytest.approx(expected[2] * 3600 / duration, abs=1e-3)
        assert summary["frr"] == pytest.approx(expected[1] / len(words), abs=1e-4)
        assert len(summary["latencies_s"]) == expected[0]
        totals = [a + b for a, b in zip(totals, expected, strict=True)]
    # The streams exercise every outcome: found, missed and false detections.
    assert all(totals), totals


@pytest.mark.kinds("unix")
def test_evaluate_plots_scores_truth_and_detections(target, tmp_path, capsys):
    model, wav, truth, _, options = streams(tmp_path)[0]
    png = tmp_path / "plot.png"
    args = ("--target", "unix", "--model", model, "--wav", str(wav), "--truth", str(truth))
    status, out, err = earshot(capsys, "evaluate", *args, "--plot", str(png))
    assert status == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert "found" in out and "per hour" in out
