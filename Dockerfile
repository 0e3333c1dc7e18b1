# One image for every process: `alert-whisperer api` (default), `worker` and `migrate`.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# Dependencies first, in their own layer, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && pip install -r requirements.txt

COPY workflows ./workflows
COPY activities ./activities
COPY core ./core
COPY api ./api
COPY worker ./worker
RUN pip install . && alert-whisperer openapi --output /src/build/openapi.json


# The web UI, built against the API's schema (its TypeScript types are generated from it).
FROM node:20-slim AS ui
WORKDIR /src/ui
COPY ui/package.json ui/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY ui ./
COPY --from=build /src/build/openapi.json /src/build/openapi.json
RUN npm run api-types && npm run build


FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --create-home --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
COPY --from=ui /src/ui/dist /app/ui
ENV AW_UI_DIR=/app/ui

WORKDIR /app
USER app:app
EXPOSE 8000
CMD ["alert-whisperer", "api", "--port", "8000"]
