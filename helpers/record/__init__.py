"""Recording: a loop that notes every Task's creation, steps, waits and end."""
