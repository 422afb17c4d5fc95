"""The reference bundle's collector side: topologies (agent, gateway), backends, instrumentation."""
