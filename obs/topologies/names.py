"""The collectors' default names, apart from their topologies so that naming them (obs.topologies'
defaults, the Prometheus values) does not import the collector model."""

AGENT = "otel-collector-agent"
GATEWAY = "otel-collector-gateway"
