# The image of the Portcullis GitHub Action: one static binary on an empty base.
#
# Base images are pinned by digest; refresh a digest deliberately, with
# `docker buildx imagetools inspect rust:1-alpine`, when moving to a newer toolchain.

FROM rust:1-alpine@sha256:a10e64dd139b7387337c7fbe8aca31b959b57b2fd4c8ae20a02cf1d6ea424dce AS build
# musl-dev for the static C runtime; ca-certificates for the upload's TLS roots. The digest
# above fixes the Alpine release, whose repository keeps only the current build of a package,
# so a version pin here would break the build at the next security update instead of helping.
# portcullis: ignore[unpinned-package] versions follow the digest-pinned Alpine release
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY data ./data
COPY scripts/build-static.sh ./scripts/
# A static musl binary, size-optimised at link time, symbols stripped. CI runs the same script
# on its host, so a change that breaks this build fails there.
RUN scripts/build-static.sh /portcullis

# GitHub runs container actions as the image's default user, root, and its documentation says
# not to set USER: the action writes SARIF into the workspace the runner mounts.
# portcullis: ignore[root-user, missing-healthcheck] a container action runs as root (GitHub forbids USER); a one-shot command has no health to check
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /portcullis /portcullis
ENTRYPOINT ["/portcullis", "action"]
