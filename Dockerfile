# The idcoord image: a static binary on distroless, running as a non-root user.
#
#   VERSION=$(git describe --tags --always --dirty)
#   docker build -t idcoord:$VERSION --build-arg VERSION=$VERSION \
#     --build-arg COMMIT=$(git rev-parse --short HEAD) .
#   docker run --rm idcoord:$VERSION version
#
# VERSION and COMMIT are what `make build` stamps into the binary. The build
# context leaves .git out (.dockerignore), so the image learns them only from
# these build args: without them, `idcoord version` says dev and unknown.
#
# The release build never has the faultclock tag: that build lets a test move
# the clock through the admin listener.
#
# Both images are pinned. The Go toolchain is the one go.mod names; raise
# them together. Distroless publishes no version tags: static-debian12 pins
# the Debian release, and nonroot is rebuilt with its security fixes. To pin
# the runtime image byte for byte, append its digest
# (gcr.io/distroless/static-debian12:nonroot@sha256:...).

ARG VERSION=dev
ARG COMMIT=

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION
ARG COMMIT
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
        -o /out/idcoord ./cmd/idcoord \
    && mkdir -p /out/run/idcoord

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION
ARG COMMIT
LABEL org.opencontainers.image.title="idcoord" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}"
COPY --from=build /out/idcoord /idcoord
# The default socket folder, writable by the runtime user; in Kubernetes an
# emptyDir is mounted over it.
COPY --from=build --chown=65532:65532 /out/run/idcoord /run/idcoord
# Relative paths, such as the embedded etcd's ./idcoord-data, land in the
# user's home.
WORKDIR /home/nonroot
USER 65532:65532
# The admin listener: /metrics, /healthz, /readyz, /clock, /status.
EXPOSE 7070
ENTRYPOINT ["/idcoord"]
CMD ["serve"]
