# syntax=docker/dockerfile:1
# Multi-stage build: a builder makes the project's wheel (the package the tests install, from the
# same pyproject.toml and sources) and a virtualenv; the runtime copies only the venv.
#
# PYTHON_BASE is any image with python3 >= 3.11 and its venv module. `make image` builds one from
# Debian's packages when no image registry is reachable (see hack/image.sh).
ARG PYTHON_BASE=python:3.12-slim

FROM ${PYTHON_BASE} AS builder
# A private package index and the CA that signs it, when the build needs them; unset otherwise.
ARG PIP_INDEX_URL
ARG PIP_CERT
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator ./operator
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install --upgrade pip \
 && /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && /opt/venv/bin/pip install /wheels/*.whl \
 && /opt/venv/bin/python -m compileall -q /opt/venv

FROM ${PYTHON_BASE} AS runtime
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
