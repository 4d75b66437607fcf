# genworker: a multi-stage build. The build stage compiles the release binary
# (SQLite, libpq-free PostgreSQL and rustls are built in: no C libraries needed at
# run time); the runtime stage is Debian slim with CA certificates and a non-root user.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY benches ./benches
RUN cargo build --release --locked --bin genworker

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app genworker
COPY --from=build /src/target/release/genworker /usr/local/bin/genworker
USER genworker
WORKDIR /app
ENV MEDIA_ROOT=/app/media
ENTRYPOINT ["genworker"]
CMD ["run"]
