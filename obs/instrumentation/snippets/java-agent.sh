#!/bin/sh
# OpenTelemetry for a Java service (rendered by obs): the zero-code Java agent.
# At image build time, fetch the pinned agent once:
#   curl -fsSLo /otel/opentelemetry-javaagent.jar \
#     https://github.com/open-telemetry/opentelemetry-java-instrumentation/releases/download/v@JAVA_AGENT_VERSION@/opentelemetry-javaagent.jar
# At run time, with the OTEL_* variables of env.yaml set (JAVA_TOOL_OPTIONS loads the agent):
set -eu
exec java -jar "${APP_JAR:-/app/app.jar}" "$@"
