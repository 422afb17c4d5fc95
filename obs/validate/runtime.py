"""Checks of what happens when the generated collectors run in a pod: the kubelet can reach the
health_check extension it probes. (Selectors vs collector names and labels the pipeline drops are
part of the coherence check, obs.validate.coherence.)"""
from __future__ import annotations

from typing import Iterable

from obs.collector.kubernetes import LOOPBACK, health_endpoint
from obs.render.base import RenderContext
from obs.validate.lint import LintIssue


def lint_probes(ctx: RenderContext) -> Iterable[LintIssue]:
    """A health_check extension bound to loopback cannot be probed by the kubelet (it connects to
    the pod IP): obs then renders no probes, and says so, since a hung collector is not restarted."""
    for collector in ctx.defs.collectors:
        endpoint = health_endpoint(collector)
        if endpoint and endpoint[0] in LOOPBACK:
            yield LintIssue("warning", collector.definition, "probe-endpoint",
                            f"the health_check extension listens on {endpoint[0]}:{endpoint[1]}, which the kubelet "
                            "cannot reach, so the pod gets no liveness/readiness probes (fix: set its endpoint to "
                            f"'${{env:MY_POD_IP}}:{endpoint[1]}')")
