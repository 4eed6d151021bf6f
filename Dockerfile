FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends procps && rm -rf /var/lib/apt/lists/*
WORKDIR /app
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
RUN pip install --no-cache-dir .
USER nobody
