"""The reference bundle's collector side: its topologies (from obs.topologies), Tempo/Loki backends, instrumentation."""
