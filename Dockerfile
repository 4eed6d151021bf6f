# syntax=docker/dockerfile:1
# The runtime image: the project and the locked dependencies of one face engine, nothing for
# tests or the demo. `docker build --build-arg ENGINE=insightface .` (default: dlib).
# The base is pinned by digest; refresh it with `docker buildx imagetools inspect python:3.11-slim`.
ARG PYTHON_IMAGE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

FROM ${PYTHON_IMAGE} AS build
ARG ENGINE=dlib
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/lfr
COPY requirements/runtime-${ENGINE}.txt /tmp/requirements.txt
# Hashes required, nothing resolved: the image holds exactly what the lock file names.
RUN /opt/lfr/bin/pip install --require-hashes --no-deps -r /tmp/requirements.txt
WORKDIR /src
COPY pyproject.toml README.md ./
COPY domain domain
COPY ledger ledger
COPY projections projections
COPY recognition recognition
COPY api api
COPY services services
COPY adapters adapters
COPY runtime runtime
COPY cli cli
RUN /opt/lfr/bin/pip install --no-deps . && /opt/lfr/bin/pip uninstall -y pip

FROM ${PYTHON_IMAGE} AS runtime
ARG ENGINE=dlib
LABEL org.opencontainers.image.title="lfr" \
      org.opencontainers.image.description="Accountable Live Facial Recognition (engine: ${ENGINE})"
RUN groupadd --system --gid 10001 lfr \
    && useradd --system --uid 10001 --gid lfr --home-dir /var/lib/lfr --no-create-home lfr \
    && mkdir -p /var/lib/lfr /models \
    && chown lfr:lfr /var/lib/lfr
COPY --from=build /opt/lfr /opt/lfr
ENV PATH=/opt/lfr/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    LFR_ENV=production \
    LFR_FACE_ENGINE=${ENGINE} \
    LFR_DATA_DIR=/var/lib/lfr \
    LFR_MODEL_DIR=/models
# A named volume mounted here takes the directory's owner, so checkpoints, reports and
# upload jobs are writable by the service user.
VOLUME ["/var/lib/lfr"]
USER lfr:lfr
WORKDIR /var/lib/lfr
CMD ["lfr", "--help"]
