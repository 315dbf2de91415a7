"""Reading what a model learned: the data summary, diagnostics, one node's explanation, pictures
and the HTML report. Every reader of a saved run goes through :mod:`hetgat.runs.apply`."""
