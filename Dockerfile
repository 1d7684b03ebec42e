# Builds the project on Debian 12 and runs its tests; the final image holds the
# main program. Until canceld exists (issue 3) that is the library's tour.
#
#   docker build -t cancelable .
#   docker run --rm cancelable
FROM debian:12 AS build
WORKDIR /src
COPY .ci/install-deps .ci/install-deps
RUN .ci/install-deps
COPY . .
RUN make test

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends libabsl20220623 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/default/lib/examples/cancelable_tour /usr/local/bin/cancelable_tour
CMD ["/usr/local/bin/cancelable_tour"]
