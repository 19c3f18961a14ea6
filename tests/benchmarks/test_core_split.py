"""earshot_host.bench.cores: each core's share of its cycles in the arrangements that
earshot.dualcore offers, and the choice between them."""

from __future__ import annotations

import pytest

from earshot_host.bench.cores import arrangements, choose, main


def test_one_core_adds_the_front_end_to_the_inference():
    (one,) = arrangements(60e6, 5e6, 4, 0.025, 1e9, cores=1)
    # a period of 4 x 25 ms at 1 GHz = 100e6 cycles: (60 + 4 x 5) / 100
    assert one.arrangement == "one core" and one.shares == pytest.approx((0.8,))


def test_two_cores_split_or_alternate():
    loads = {load.arrangement: load.shares for load in arrangements(60e6, 5e6, 4, 0.025, 1e9, 2)}
    assert loads["split"] == pytest.approx((0.2, 0.6))
    assert loads["alternate"] == pytest.approx(((40e6 + 60e6) / 200e6, 60e6 / 200e6))


def test_the_simplest_arrangement_that_keeps_up_is_chosen():
    # A light pipeline: one core is enough.
    assert choose(arrangements(40e6, 1e6, 5, 0.020, 1e9, 2)).arrangement == "one core"
    # Too much for one core, the inference alone fits a period: split.
    split = choose(arrangements(80e6, 6e6, 5, 0.020, 1e9, 2))
    assert split.arrangement == "split" and split.headroom == pytest.approx(0.2)
    # An inference longer than its period: only alternating keeps up.
    chosen = choose(arrangements(110e6, 6e6, 5, 0.020, 1e9, 2))
    assert chosen.arrangement == "alternate"
    assert chosen.fits and chosen.headroom == pytest.approx(1 - (60e6 + 110e6) / 200e6)
    # Too much work for both cores: the least busy arrangement shows the shortfall.
    worst = choose(arrangements(300e6, 10e6, 5, 0.020, 1e9, 2))
    assert not worst.fits and worst.arrangement == "alternate"
    # One core only: nothing else to choose.
    assert choose(arrangements(110e6, 6e6, 5, 0.020, 1e9, 1)).arrangement == "one core"


def test_bad_rates_are_refused():
    with pytest.raises(ValueError, match="positive"):
        arrangements(1e6, 1e3, 0, 0.02, 1e9)


def test_command_line_exit_status_says_if_it_fits(capsys):
    args = ["--frontend-cycles", "778600", "--hops", "5", "--hop-ms", "20", "--cores", "2"]
    assert main(["--inference-cycles", "13.69e6", "--clock-hz", "125e6", *args]) == 0
    assert "alternate" in capsys.readouterr().out
    assert main(["--inference-cycles", "13.69e6", "--clock-hz", "100e6", *args]) == 1
