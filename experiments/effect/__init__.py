"""Effect analysis (issue 12): held-out measurements of evolved laundering, with statistics."""
