"""Per-agent Mesa reference implementation of the CadreSim step (readable, slow, for checking)."""

from benchmarks.reference.agents import ReferenceCadre
from benchmarks.reference.model import ReferenceModel, run_reference

__all__ = ["ReferenceCadre", "ReferenceModel", "run_reference"]
