"""The cadre as a Mesa agent: a thin view onto one slot of the model's arrays.

A ``Cadre`` holds only its slot index; every attribute reads and writes the model's arrays, so
``agent.ability``, AgentSet operations and DataCollector agent reporters all work, while the
step itself runs over whole arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa

from simulation.formulas import ACTIONS

if TYPE_CHECKING:
    from simulation.model import CadreModel


class CadreAttribute:
    """Descriptor: ``cadre.<name>`` is element ``cadre.index`` of ``model.cadres.<name>``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, cadre: Cadre | None, owner: type | None = None) -> Any:
        if cadre is None:
            return self
        value = getattr(cadre.model.cadres, self.name)[cadre.index]
        return value.item() if hasattr(value, "item") and value.ndim == 0 else value

    def __set__(self, cadre: Cadre, value: Any) -> None:
        getattr(cadre.model.cadres, self.name)[cadre.index] = value


class Cadre(mesa.Agent):
    """One civil-service post and the cadre in it (see docs/ODD.md, Entities)."""

    model: CadreModel

    person = CadreAttribute()
    unit = CadreAttribute()
    front_line = CadreAttribute()
    visibility = CadreAttribute()
    ability = CadreAttribute()
    motivation = CadreAttribute()
    innate_motivation = CadreAttribute()
    risk_aversion = CadreAttribute()
    violation_prone = CadreAttribute()
    rank = CadreAttribute()
    years_in_rank = CadreAttribute()
    age = CadreAttribute()
    record = CadreAttribute()
    sanction_years = CadreAttribute()
    strikes = CadreAttribute()
    years_since_sanction = CadreAttribute()
    probation_years = CadreAttribute()
    fast_track = CadreAttribute()
    belief_detect = CadreAttribute()
    belief_detect_formal = CadreAttribute()
    belief_punish_routine = CadreAttribute()
    belief_punish = CadreAttribute()
    belief_accused = CadreAttribute()
    belief_upheld = CadreAttribute()
    belief_warning_cost = CadreAttribute()
    belief_demotion_cost = CadreAttribute()
    belief_removal_cost = CadreAttribute()
    evidence_detect = CadreAttribute()
    evidence_detect_formal = CadreAttribute()
    evidence_punish_routine = CadreAttribute()
    evidence_punish = CadreAttribute()
    evidence_accused = CadreAttribute()
    evidence_upheld = CadreAttribute()
    evidence_warning_cost = CadreAttribute()
    evidence_demotion_cost = CadreAttribute()
    evidence_removal_cost = CadreAttribute()
    belief_promote = CadreAttribute()
    action = CadreAttribute()

    def __init__(self, model: CadreModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def slot(self) -> int:
        """The post this agent stands for (its array index, ``index``).

        A slot is refilled when its cadre leaves, so ``person`` (who holds it now) is the key
        for following people.
        """
        return self.index

    @property
    def action_name(self) -> str:
        """Last action as a word ('none' before the first step)."""
        a = self.action
        return ACTIONS[a] if a >= 0 else "none"

    @property
    def peers(self) -> list[Cadre]:
        """The cadre's network neighbours, as agents."""
        agents = self.model.cadre_agents
        return [agents[j] for j in self.model.cadres.peers[self.index]]

    def __repr__(self) -> str:
        return (
            f"Cadre(slot={self.index}, rank={self.rank}, age={self.age}, "
            f"ability={self.ability:.2f}, motivation={self.motivation:.2f}, "
            f"action={self.action_name})"
        )
