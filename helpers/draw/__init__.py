"""Ways to show a `Trace`: a Gantt chart, a table of events (and live / replay views)."""
