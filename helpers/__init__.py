"""Record what asyncio Tasks do and draw it: the engine of the asyncio course.

The pipeline, one package or module a stage:
    record/   a loop that records every Task (virtual or real clock)
    model     spans and states built from the recording: `Trace`
    draw/     Gantt chart, event table (and live / replay views)
    export    JSON and Chrome trace files
    run       run a coroutine traced, in a notebook or a script
    exercises check a learner's answer from its trace
"""

from .model import Trace
from . import views  # noqa: F401  (t.chart(), t.table() ...: the viewers, handed to the model)
from .record.loop import Deadlock, TracingLoop
from .record.resources import watch
from .notebook import allow_asyncio_run, teach_ipython
from .intercept import tracing
from .run import last_trace, run_traced, trace

__all__ = ["Trace", "TracingLoop", "Deadlock", "trace", "run_traced", "tracing", "last_trace",
           "allow_asyncio_run", "watch"]

teach_ipython()  # inside a notebook: plain words for un-awaited coroutines and asyncio.run errors
__version__ = "0.1.0"
