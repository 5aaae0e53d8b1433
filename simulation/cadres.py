"""The cadres' state: one contiguous array per attribute, over slots the model owns.

A cadre is a slot index. When a cadre leaves (retirement, removal), an entrant takes the same
slot, so unit membership and the peer network stay valid and no array is ever resized. Both the
NumPy phases and the compiled kernels read and write these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from simulation.network import peer_matrix


@dataclass(eq=False)
class CadreArrays:
    """Structure of arrays over all cadre slots; every field has length n (peers: n x k)."""

    person: NDArray[np.int64]  # id of the person now in the slot (new entrants get new ids)
    unit: NDArray[np.int32]  # work unit (slot // unit_size)
    front_line: NDArray[np.bool_]  # in a front-line (grassroots) unit
    visibility: NDArray[np.float64]  # the unit's multiplier of how visible hollow work is
    peers: NDArray[np.int32]  # (n, k) peer slot indices
    ability: NDArray[np.float64]  # a in [0, 1]
    motivation: NDArray[np.float64]  # m in [0, 1]
    innate_motivation: NDArray[np.float64]  # level motivation reverts to
    risk_aversion: NDArray[np.float64]  # rho >= 0
    violation_prone: NDArray[np.bool_]  # 'bold' work is a disguised self-serving violation
    rank: NDArray[np.int8]  # 0 .. n_ranks - 1
    years_in_rank: NDArray[np.int16]
    age: NDArray[np.int16]
    record: NDArray[np.float64]  # smoothed measured performance
    sanction_years: NDArray[np.int16]  # years left barred from promotion
    strikes: NDArray[np.int8]  # unexpired sanctions: rung of the next one
    years_since_sanction: NDArray[np.int16]
    probation_years: NDArray[np.int8]  # years of probation left after a promotion
    fast_track: NDArray[np.bool_]  # in its rank's fast-track band at the last tournament
    # The perceived regime (simulation.perceived.QUANTITIES): each rule as the cadre believes
    # it, and the weight of the cases it has seen behind that belief (discounted cases).
    belief_detect: NDArray[np.float64]  # P(lying flat is caught)
    belief_detect_formal: NDArray[np.float64]  # P(formal work is caught as inaction)
    belief_punish_routine: NDArray[np.float64]  # P(a routine mishap is punished)
    belief_punish: NDArray[np.float64]  # P(an honest failed initiative is punished)
    belief_accused: NDArray[np.float64]  # P(bold work is falsely accused)
    belief_upheld: NDArray[np.float64]  # P(a false accusation is upheld, not cleared)
    belief_warning_cost: NDArray[np.float64]  # perceived written cost of each rung
    belief_demotion_cost: NDArray[np.float64]
    belief_removal_cost: NDArray[np.float64]
    evidence_detect: NDArray[np.float64]  # discounted cases behind each belief above
    evidence_detect_formal: NDArray[np.float64]
    evidence_punish_routine: NDArray[np.float64]
    evidence_punish: NDArray[np.float64]
    evidence_accused: NDArray[np.float64]
    evidence_upheld: NDArray[np.float64]
    evidence_warning_cost: NDArray[np.float64]
    evidence_demotion_cost: NDArray[np.float64]
    evidence_removal_cost: NDArray[np.float64]
    belief_promote: NDArray[np.float64]  # responsiveness of promotion to measured performance
    action: NDArray[np.int8]  # last action chosen (-1 before the first step)

    @cached_property
    def adjacency(self):
        """The peer network as a sparse (n, n) matrix; peers are fixed for the whole run."""
        return peer_matrix(self.peers)

    @property
    def n(self) -> int:
        """Number of slots."""
        return self.ability.shape[0]

    def field_names(self) -> list[str]:
        """Names of the per-cadre arrays (for snapshots and agent attributes)."""
        return [f.name for f in fields(self)]


#: years_since_sanction of a cadre never sanctioned (beyond any strike expiry).
NEVER_SANCTIONED = 99
#: years_since_sanction stops counting here (it only has to exceed any strike expiry).
MAX_YEARS_SINCE_SANCTION = 10_000
#: The perceived rules (simulation.perceived.QUANTITIES, in order): belief and evidence arrays.
PERCEIVED_BELIEFS: tuple[str, ...] = (
    "belief_detect", "belief_detect_formal", "belief_punish_routine", "belief_punish",
    "belief_accused", "belief_upheld", "belief_warning_cost", "belief_demotion_cost",
    "belief_removal_cost",
)
PERCEIVED_EVIDENCE: tuple[str, ...] = tuple(
    name.replace("belief_", "evidence_", 1) for name in PERCEIVED_BELIEFS
)
#: What an entrant takes over from its new peers (their mean): its view of the rules, the weight
#: of experience behind it, and its belief in promotion for performance.
BELIEFS: tuple[str, ...] = (*PERCEIVED_BELIEFS, *PERCEIVED_EVIDENCE, "belief_promote")
