# syntax=docker/dockerfile:1
# tongxue in a container: docker build -t tongxue . (compose.yaml adds PostgreSQL).
# Tags are pinned to a release line, never latest; pin digests in the registry
# you deploy from.

# Builder: the same command as `make build` (deploy_test.go checks they agree).
FROM golang:1.26-bookworm AS build
WORKDIR /src
# Dependencies first: this layer and the module cache survive source edits.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o bin/tongxue .
# The data folder (development keys, SQLite, pictures) must belong to the
# runtime user: the final image has no shell to chown it.
RUN mkdir -p /out/data && chown 65532:65532 /out/data && chmod 0700 /out/data

# Runtime: a static binary needs no libc; distroless has no shell, so no
# HEALTHCHECK here: probe GET /healthz (process alive) and GET /readyz
# (database reachable) from the orchestrator.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/bin/tongxue /tongxue
COPY --from=build --chown=65532:65532 /out/data /data
ENV TONGXUE_DATA_DIR=/data
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/tongxue"]
