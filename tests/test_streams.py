"""The run's random streams (simulation/streams.py): Philox4x64-10 of named counters.

The generator is pinned to Random123's published known answers through an independent
pure-Python Philox4x64-10 written here; the streams' words are that function of the counter
(slot, year, purpose, block) under the run's key; a slot's words do not depend on which other
slots are drawn; the conversions to uniforms, Gumbel and normal draws have the stated ranges and
distributions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation import CadreModel, load_config
from simulation import streams as s
from simulation.population import replace_departed
from simulation.streams import Streams

MASK = (1 << 64) - 1
#: Random123's kat_vectors for philox4x64 with 10 rounds: counter (4 words), key (2), output (4).
KAT = (
    ((0, 0, 0, 0), (0, 0),
     (0x16554D9ECA36314C, 0xDB20FE9D672D0FDC, 0xD7E772CEE186176B, 0x7E68B68AEC7BA23B)),
    ((MASK,) * 4, (MASK,) * 2,
     (0x87B092C3013FE90B, 0x438C3C67BE8D0224, 0x9CC7D7C69CD777B6, 0xA09CAEBF594F0BA0)),
    ((0x243F6A8885A308D3, 0x13198A2E03707344, 0xA4093822299F31D0, 0x082EFA98EC4E6C89),
     (0x452821E638D01377, 0xBE5466CF34E90C6C),
     (0xA528F45403E61D95, 0x38C72DBD566E9788, 0xA5A1610E72FD18B5, 0x57BD43B5E52B7FE6)),
)


def philox4x64_10(counter: tuple[int, ...], key: tuple[int, int]) -> tuple[int, ...]:
    """Philox4x64-10 (Salmon et al. 2011) in Python integers: the test's own reference."""
    m0, m1 = 0xD2E7470EE14C6C93, 0xCA5A826395121157
    w0, w1 = 0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B
    x0, x1, x2, x3 = counter
    k0, k1 = key
    for _ in range(10):
        p0, p1 = m0 * x0, m1 * x2
        x0, x1, x2, x3 = (p1 >> 64) ^ x1 ^ k0, p1 & MASK, (p0 >> 64) ^ x3 ^ k1, p0 & MASK
        k0, k1 = (k0 + w0) & MASK, (k1 + w1) & MASK
    return x0, x1, x2, x3


@pytest.mark.parametrize(("counter", "key", "expected"), KAT)
def test_the_reference_philox_gives_random123s_known_answers(counter, key, expected):
    assert philox4x64_10(counter, key) == expected


@pytest.mark.parametrize(("counter", "key", "expected"), KAT)
def test_the_streams_philox_gives_the_known_answers_on_arrays_and_compiled(counter, key, expected):
    """``streams.philox`` on NumPy uint64 arrays, and as the kernel that draws entrants' words."""
    with np.errstate(over="ignore"):
        got = s.philox(*(np.array([w], dtype=np.uint64) for w in (*counter, *key)))
    assert tuple(int(w[0]) for w in got) == expected
    ks = pytest.importorskip("simulation.kernels.streams")
    compiled = ks.philox(*(np.uint64(w) for w in (*counter, *key)))
    assert tuple(int(w) for w in compiled) == expected


@pytest.mark.parametrize("seed", [0, 7, 2**32 - 1])
def test_words_are_philox_of_slot_year_and_purpose_under_the_runs_key(seed):
    """Slot i's words of a purpose of width w are blocks i * w / 4 .. of (year, purpose)."""
    streams = Streams.from_seed(seed)
    key = (streams.key & MASK, streams.key >> 64)
    for year, purpose, start in ((0, s.TRAITS, 0), (3, s.TASTE, 17), (40, s.REVIEW, 999),
                                 (2**40, s.CAREER, 2**50)):
        words = streams.words(year, purpose, 3, start=start)
        blocks = s.WIDTH[purpose] // 4
        for i in range(3):
            expected = [w for b in range(blocks)
                        for w in philox4x64_10(((start + i) * blocks + b, year, purpose, 0), key)]
            assert [int(w) for w in words[i]] == expected


def test_the_key_is_the_seed_sequences_state():
    root = np.random.SeedSequence(11)
    k0, k1 = (int(w) for w in root.generate_state(2, np.uint64))
    assert Streams(root).key == k0 | (k1 << 64)
    assert Streams.from_seed(11).key == Streams(root).key
    assert Streams.from_seed(12).key != Streams(root).key


def test_a_slots_words_do_not_depend_on_which_other_slots_are_drawn():
    streams = Streams.from_seed(3)
    whole = streams.words(5, s.REVIEW, 1000).copy()
    np.testing.assert_array_equal(streams.words(5, s.REVIEW, 10, start=500), whole[500:510])
    np.testing.assert_array_equal(streams.columns(5, s.REVIEW, 1000), whole.T)
    np.testing.assert_array_equal(streams.taste(5, 10), streams.taste(5, 1000)[:10])
    traits = streams.words(5, s.TRAITS, 1000).copy()
    for slots in ([3, 500, 999], list(range(0, 1000, 7))):  # slot by slot, and one run
        picked = np.array(slots)
        np.testing.assert_array_equal(streams.slot_words(5, s.TRAITS, picked, 1000),
                                      traits[picked])


def test_compiled_slot_words_are_the_streams_words():
    ks = pytest.importorskip("simulation.kernels.streams")
    streams = Streams.from_seed(9)
    slots = np.array([0, 1, 77, 4095, 10**6], dtype=np.intp)
    for year, purpose in ((0, s.TRAITS), (31, s.TRAITS), (2, s.REVIEW)):
        np.testing.assert_array_equal(ks.slot_words(streams, year, purpose, slots, 10**7),
                                      streams.slot_words(year, purpose, slots, 10**7))


def test_every_name_gives_other_words():
    streams = Streams.from_seed(3)
    names = [(year, purpose) for year in (0, 1, 2) for purpose in range(len(s.PURPOSES))]
    seen = {streams.words(*name, 64, width=4).tobytes() for name in names}
    seen.add(Streams.from_seed(4).words(0, 0, 64, width=4).tobytes())
    assert len(seen) == len(names) + 1


def test_uniforms_span_their_intervals_exactly():
    ends = np.array([0, 2**11 - 1, 2**11, MASK], dtype=np.uint64)
    np.testing.assert_array_equal(s.uniform(ends), [0.0, 0.0, 2.0**-53, 1.0 - 2.0**-53])
    np.testing.assert_array_equal(s.open_uniform(ends),
                                  [2.0**-53, 2.0**-53, 2.0**-53, 1.0 - 2.0**-53])
    assert np.isfinite(s.gumbel(ends)).all() and np.isfinite(s.normal(ends)).all()
    assert (s.integers(ends, 3, 7) == [3, 3, 3, 6]).all()


def test_draws_have_their_distributions():
    """400 000 draws each: means and variances within 5 standard errors."""
    words = Streams.from_seed(1).words(1, s.TASTE, 100_000).ravel()
    m = words.size
    u = s.uniform(words)
    assert abs(u.mean() - 0.5) < 5 * math.sqrt(1 / 12 / m)
    g = s.gumbel(words)
    assert abs(g.mean() - np.euler_gamma) < 5 * math.sqrt(math.pi**2 / 6 / m)
    assert g.var() == pytest.approx(math.pi**2 / 6, rel=0.02)
    z = s.normal(words)
    assert abs(z.mean()) < 5 / math.sqrt(m)
    assert z.var() == pytest.approx(1.0, rel=0.02)
    counts = np.bincount(s.integers(words, 0, 8), minlength=8)
    assert (np.abs(counts - m / 8) < 5 * math.sqrt(m / 8)).all()


def test_an_entrants_traits_are_its_slots_whoever_else_leaves():
    config = load_config(overrides={"organisation.n_cadres": 200})
    a, b = CadreModel(config, seed=2), CadreModel(config, seed=2)
    replace_departed(a.cadres, np.array([3, 50, 120]), config, a.streams, 4, 200)
    replace_departed(b.cadres, np.array([50, 199]), config, b.streams, 4, 200)
    for name in ("ability", "motivation", "risk_aversion", "violation_prone", "age"):
        assert getattr(a.cadres, name)[50] == getattr(b.cadres, name)[50], name
    assert a.cadres.ability[3] != b.cadres.ability[3]  # slot 3 was refilled only in a


def test_the_year_0_traits_do_not_depend_on_the_block_they_are_drawn_in(monkeypatch):
    from simulation import population

    pop = load_config().population
    whole = population.initial_traits(pop, Streams.from_seed(3), 1000)
    monkeypatch.setattr(population, "TRAIT_BLOCK", 7)
    for name, values in population.initial_traits(pop, Streams.from_seed(3), 1000).items():
        np.testing.assert_array_equal(values, whole[name])
