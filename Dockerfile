# The idcoord image: a static binary on distroless, running as a non-root user.
#
#   docker build -t idcoord --build-arg VERSION=$(git describe --tags --always --dirty) .
#   docker run --rm idcoord version
#
# The release build never has the faultclock tag: that build lets a test move
# the clock through the admin listener.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
        -o /out/idcoord ./cmd/idcoord \
    && mkdir -p /out/run/idcoord

FROM gcr.io/distroless/static:nonroot
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
