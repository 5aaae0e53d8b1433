"""One pyABC evaluation, seeded, paused where pyABC asks the model until the engine answers.

pyABC's ``simulate_one`` proposes a parameter vector, asks the model for its statistics, then
computes the distance, the acceptance and the weight, all in one call. Here it runs in a thread
of its own with NumPy's global state seeded for the evaluation (pyABC draws from that state).
When it asks the model, the thread notes the draw and NumPy's state at that point, gives the
caller back its own state, and waits; once the engine has simulated the draw, it resumes from
the noted state with the statistics. So pyABC proposes each particle once, and the particle is
the one an uninterrupted ``simulate_one`` would give. Only one thread runs at a time: the
caller waits while an evaluation runs.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

#: NumPy's global state is per process: evaluations (and threads of one process) take turns.
GLOBAL_STATE = threading.Lock()
#: The evaluation running in each thread, by thread id (the model finds its own there).
_RUNNING: dict[int, PausedEvaluation] = {}


class Abandoned(Exception):
    """Raised where pyABC asked the model, in an evaluation whose draw will not be simulated."""


class PausedEvaluation:
    """pyABC's ``simulate_one`` run with NumPy's global state seeded with ``seed``.

    :meth:`start` returns what the model was asked (the draw), :meth:`resume` the particle once
    given the model's answer; :meth:`abandon` ends an evaluation that will not be answered.
    """

    def __init__(self, simulate_one: Callable[[], Any], seed: int) -> None:
        """Prepare the evaluation (nothing runs before :meth:`start`)."""
        self.simulate_one = simulate_one
        self.seed = seed
        self._answers: queue.SimpleQueue[tuple[Any, BaseException | None]] = queue.SimpleQueue()
        self._reports: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._caller_state: Any = None
        self._thread = threading.Thread(target=self._run, name="pyabc-evaluation", daemon=True)
        self.paused = False

    def start(self) -> Any:
        """Run pyABC until it asks the model; what it asked (raises what pyABC raised).

        Raises:
            RuntimeError: pyABC finished the evaluation without asking the model.
        """
        self._thread.start()
        kind, value = self._reports.get()
        if kind == "asked":
            self.paused = True
            return value
        if kind == "error":
            raise value
        raise RuntimeError("pyABC evaluated a particle without asking the model")

    def resume(self, answer: Any) -> Any:
        """Give the model's answer; the particle pyABC makes of it (raises what pyABC raised)."""
        return self._continue(answer, None)

    def abandon(self) -> None:
        """End a paused evaluation that will not be answered (NumPy's state left as it was)."""
        if self.paused:
            with contextlib.suppress(Abandoned):
                self._continue(None, Abandoned("the draw was not simulated"))

    def ask(self, question: Any) -> Any:
        """In the evaluation's thread, where pyABC asks the model: pause until answered.

        NumPy's global state at this point is kept for the resumption; meanwhile the caller
        has its own.
        """
        state = np.random.get_state()  # noqa: NPY002 (pyABC draws from the global state)
        np.random.set_state(self._caller_state)  # noqa: NPY002
        GLOBAL_STATE.release()
        self._reports.put(("asked", question))
        answer, error = self._answers.get()
        GLOBAL_STATE.acquire()
        self._caller_state = np.random.get_state()  # noqa: NPY002
        np.random.set_state(state)  # noqa: NPY002
        if error is not None:
            raise error
        return answer

    def _continue(self, answer: Any, error: BaseException | None) -> Any:
        if not self.paused:
            raise RuntimeError("this evaluation is not waiting for the model")
        self.paused = False
        self._answers.put((answer, error))
        kind, value = self._reports.get()
        if kind == "asked":  # pyABC asked again: end the evaluation, then say so
            self._answers.put((None, Abandoned("the model answers once per evaluation")))
            self._reports.get()
            self._thread.join()
            raise RuntimeError("pyABC asked the model twice in one evaluation")
        self._thread.join()
        if kind == "error":
            raise value
        return value

    def _run(self) -> None:
        ident = threading.get_ident()
        GLOBAL_STATE.acquire()
        self._caller_state = np.random.get_state()  # noqa: NPY002
        np.random.seed(self.seed)  # noqa: NPY002
        _RUNNING[ident] = self
        try:
            report: tuple[str, Any] = ("done", self.simulate_one())
        except BaseException as exc:  # pyABC's error (or Abandoned) goes to the caller
            report = ("error", exc)
        finally:
            del _RUNNING[ident]
            np.random.set_state(self._caller_state)  # noqa: NPY002
            GLOBAL_STATE.release()
        self._reports.put(report)


def running() -> PausedEvaluation | None:
    """The evaluation this thread runs (None outside one)."""
    return _RUNNING.get(threading.get_ident())
