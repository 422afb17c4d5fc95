"""The shapes of Sloth v0.16's 18 examples (tests/data/sloth) and what importing each must give:
shared by the import tests and the second-engine (vmalert) tests."""
from __future__ import annotations

from pathlib import Path

from obs import Environment

DATA = Path(__file__).parent / "data" / "sloth"
EXAMPLES = DATA / "examples"
WINDOWS = DATA / "windows"
ENV = Environment("dev", cluster="dev-1")

# Example shape -> SLOs it must import (service/name).
BUILDS = {
    "getting-started.yml": ["payments/http-availability"],
    "k8s-getting-started.yml": ["payments/http-availability"],
    "home-wifi.yml": ["office-printers/printers-mostly-online", "office-printers/printers-never-all-offline"],
    "k8s-home-wifi.yml": ["office-printers/printers-mostly-online"],
    "raw-home-wifi.yml": ["office-printers/toner-level"],
    "kubernetes-apiserver.yml": ["etcd/grpc-availability", "etcd/grpc-latency"],
    "multifile.yml": ["search/query-availability", "indexer/index-availability"],
    "k8s-multifile.yml": ["search/query-availability", "indexer/index-availability"],
    "no-alerts.yml": ["reports/export-availability"],
    "openslo-getting-started.yml": ["payments/payments-availability-0"],
    "openslo-kubernetes-apiserver.yml": ["etcd/etcd-availability-0", "etcd/etcd-latency-0", "etcd/etcd-latency-1"],
    "slo-plugin-getting-started.yml": ["payments/http-availability"],
    "slo-plugin-k8s-getting-started.yml": ["payments/http-availability"],
    "contrib-denominator-corrected.yaml": ["checkout/orders"],
}
# Example shape -> (field, words of the problem) of the import error.
FAILS = {
    "plugin-getting-started.yml": ("slos[0].sli.plugin", "SLI plugin 'acme_http_availability'"),
    "plugin-k8s-getting-started.yml": ("slos[0].sli.plugin", "SLI plugin 'acme_http_availability'"),
    "contrib-slo-plugins.yml": ("slos[1].plugins.chain[0]", "plugin 'sloth.dev/contrib/rule_intervals/v1'"),
    "victoria-metrics.yml": ("slo_plugins.chain[0]", "plugin 'sloth.dev/contrib/validate_victoria_metrics/v1'"),
}
