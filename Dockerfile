# Builds the project on Debian 12, runs its tests, and ships canceld and
# cancelctl in a slim image.
#
#   docker build -t cancelable .
#   docker run --rm -v /run/canceld:/run/canceld cancelable
#   # from the host (or another container sharing the volume):
#   cancelctl --endpoint unix:/run/canceld/canceld.sock list
FROM debian:12 AS build
WORKDIR /src
COPY .ci/install-deps .ci/install-deps
RUN .ci/install-deps
COPY . .
RUN make test

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libabsl20220623 libgrpc++1.51 libprotobuf32 libsqlite3-0 libtomlplusplus3 \
    && rm -rf /var/lib/apt/lists/* && mkdir -p /run/canceld
COPY --from=build /src/build/default/daemon/canceld /usr/local/bin/canceld
COPY --from=build /src/build/default/client/cancelctl /usr/local/bin/cancelctl
CMD ["/usr/local/bin/canceld", "--listen", "unix:/run/canceld/canceld.sock", "--log-format", "json"]
