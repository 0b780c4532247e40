# syntax=docker/dockerfile:1
# Multi-stage build: a builder makes a wheel and a virtualenv; the runtime copies only the venv.

FROM python:3.12-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator ./operator
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --upgrade pip \
 && /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/venv/bin/pip install /wheels/*.whl \
 && /opt/venv/bin/python -m compileall -q /opt/venv

FROM python:3.12-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
COPY --from=builder /opt/venv /opt/venv
# A numeric non-root user, so the kubelet can verify runAsNonRoot without a passwd lookup.
USER 10001:10001
EXPOSE 8080 9090
# Exec form: SIGTERM reaches the operator directly and Kopf shuts down cleanly.
ENTRYPOINT ["eci-operator"]
CMD ["run", "--liveness=http://0.0.0.0:8080/healthz", "--metrics-port=9090"]
