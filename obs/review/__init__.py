"""Review a change like a reviewer: `obs diff` (what a change means for the people on call, read from
two built trees) and `obs backtest` (how the changed alerts would have behaved over real history).

    semantics.py   a built tree -> what it means (alerts, routing, SLOs, dashboards, collectors, manifests)
    compare.py     two meanings -> the changes, per environment and cluster
    routing.py     the receivers an alert's labels reach, from the written alertmanager.yaml (amtool)
    trees.py       BASE/HEAD (git refs, the working tree, built folders) -> built folders
    text.py, markdown.py, json_format.py   one module per output format
    prometheus.py  the Prometheus HTTP API client (bounded, authenticated, clear errors)
    alertstate.py  Prometheus' alert state machine, replayed over query_range results
    backtest.py    old and new rules side by side over history; plot.py draws the episodes
"""
