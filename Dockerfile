# Multi-stage build: the runtime and the example actions, served on
# 0.0.0.0:8080 with the data directory as a volume.
#
#   docker build -t sluice .
#   docker run -p 8080:8080 -v sluice-data:/data -e SLUICE_ADMIN_TOKEN=... sluice

FROM rust:1.95-bookworm AS build
WORKDIR /src
RUN rustup target add wasm32-wasip2
# The JavaScript examples build with rolldown and componentize-js, which
# need Node.js 20.19 or later (Debian bookworm has 18).
COPY --from=node:22-bookworm-slim /usr/local/bin/node /usr/local/bin/node
COPY --from=node:22-bookworm-slim /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
COPY . .
RUN scripts/build-actions.sh \
 && scripts/build-console.sh \
 && scripts/build-portal.sh \
 && cargo build --release --locked -p sluice \
 && mkdir -p /out/actions \
 && cp "$HOME/.cache/sluice/target/release/sluice" /out/ \
 && cp actions-examples/dist/*.wasm /out/actions/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /data sluice && mkdir -p /data && chown sluice /data
COPY --from=build /out/sluice /usr/local/bin/sluice
COPY --from=build /out/actions /usr/share/sluice/actions
USER sluice
VOLUME /data
ENV SLUICE_LISTEN=0.0.0.0:8080 SLUICE_DATA_DIR=/data
EXPOSE 8080
HEALTHCHECK CMD curl -fsS http://127.0.0.1:8080/system/health || exit 1
ENTRYPOINT ["sluice"]
CMD ["serve"]
