"""The reference bundle's instrumented services (seed 004 section 4.3, made current): one per
language, all exporting to the environment's collector over OTLP."""
from obs.model.params import RATIO
from obs import Environment
from obs.instrumentation import Instrumentation, Service
from obs.topologies import AGENT


def instrumentation(env: Environment) -> Instrumentation:
    ratio = env.param("Instrumentation.sampler_ratio", 0.1 if env.name == "prod" else 1.0, RATIO)
    return Instrumentation(
        name="default",
        # The node-local agent (its Service keeps traffic on the pod's node).
        collector=f"http://{AGENT}.{env.namespace}.svc",
        sampler="parentbased_traceidratio",
        sampler_ratio=ratio,
        propagators=("tracecontext", "baggage"),
        services=[
            Service("checkout", "python", namespace="shop", version="1.4.0"),
            Service("payments", "java", namespace="shop"),
            Service("storefront", "nodejs", namespace="shop"),
            Service("inventory", "go", namespace="shop"),
        ],
    )
