# Build: docker build -t figbot .
# Run:   docker run --env-file configs/figbot.env -p 8080:8080 figbot
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
    -o /out/figbot ./cmd/figbot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/figbot /figbot
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/figbot"]
CMD ["all"]
