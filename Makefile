# tongxue — make run serves the graph; make test checks everything CI checks.
SHELL := /bin/bash
GO    ?= go
PKGS  := ./...
# The PostgreSQL the suite uses; .ci/run starts it on a fresh machine.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export TEST_DATABASE_URL
# The linter, pinned; make lint installs it into ./bin when missing.
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := bin/golangci-lint-$(GOLANGCI_LINT_VERSION)

.PHONY: run build docker-lint test test-unit vet fmt-check generate check-generate privacy-catalog check-privacy-catalog error-codes check-error-codes lint bench bench-http clean

run: ## serve on :8080 with SQLite under ./data, demo data and the playground
	$(GO) run .

# A static binary without cgo; the Dockerfile's builder stage runs this same
# command (deploy_test.go compares them).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags="-s -w" -o bin/tongxue .

# hadolint, pinned; docker-lint uses the one on PATH, else this one in ./bin.
HADOLINT_VERSION := v2.14.0
HADOLINT := bin/hadolint-$(HADOLINT_VERSION)

docker-lint: ## hadolint on the Dockerfile (deploy_test.go checks the invariants it does not)
	@h=$$(command -v hadolint || echo $(HADOLINT)); \
	if [ ! -x "$$h" ] && ! $(MAKE) --no-print-directory $(HADOLINT); then \
		echo "docker-lint: no hadolint on PATH and its GitHub release is unreachable; install hadolint $(HADOLINT_VERSION)"; exit 1; fi; \
	"$$h" Dockerfile

# The release's static binary, checked against its published SHA-256.
$(HADOLINT):
	@mkdir -p bin; os=$$(uname -s); arch=$$(uname -m); \
	base=https://github.com/hadolint/hadolint/releases/download/$(HADOLINT_VERSION); \
	for name in hadolint-$$os-$$arch hadolint-$${os,,}-$$arch; do \
		if curl -fsSL -o $@.tmp $$base/$$name && curl -fsSL -o $@.sha256 $$base/$$name.sha256 \
			&& echo "$$(cut -d' ' -f1 $@.sha256)  $@.tmp" | sha256sum -c --quiet -; then \
			chmod +x $@.tmp && mv $@.tmp $@ && rm -f $@.sha256 && exit 0; fi; \
	done; rm -f $@.tmp $@.sha256; exit 1

test: fmt-check vet lint check-generate check-privacy-catalog check-error-codes test-unit ## what CI runs

test-unit:
	$(GO) test -race -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' ; git ls-files --others --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

lint: $(GOLANGCI_LINT) ## golangci-lint with .golangci.yml
	$(GOLANGCI_LINT) run $(PKGS)

$(GOLANGCI_LINT):
	GOBIN=$(CURDIR)/bin/.golangci-lint $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv bin/.golangci-lint/golangci-lint $@ && rmdir bin/.golangci-lint

generate: ## ent first (it writes schema/ent.graphql), then gqlgen
	$(GO) generate ./generate.go

# Regenerates and fails when the committed generated code differs.
check-generate: generate
	@if [ -n "$$(git status --porcelain -- ent graph resolvers schema gqlgen.yml go.mod go.sum)" ]; then \
		echo "make generate changed files: commit the generated code"; \
		git status --porcelain -- ent graph resolvers schema gqlgen.yml go.mod go.sum; exit 1; fi

privacy-catalog: ## docs/privacy-catalog.md from the pii annotations and the schema directives
	$(GO) run . privacy-catalog > docs/privacy-catalog.md.tmp && mv docs/privacy-catalog.md.tmp docs/privacy-catalog.md

check-privacy-catalog:
	@$(GO) run . privacy-catalog | diff -u docs/privacy-catalog.md - \
		|| { echo "docs/privacy-catalog.md is stale: run make privacy-catalog"; exit 1; }

error-codes: ## README.md's table of error codes from internal/infra/apperr/codes.go
	$(GO) run ./internal/infra/apperr/cmd/errorcodes

check-error-codes:
	@$(GO) run ./internal/infra/apperr/cmd/errorcodes -check

bench: ## Go benchmarks (figures go in closing notes)
	$(GO) test -run='^$$' -bench=. -benchmem -count=1 ./...

# The home read under load on PostgreSQL (DATABASE_URL=sqlite for SQLite);
# PEER=1 alternates runs with PostGraphile on the same tables. See bench/http.sh.
bench-http: ## req/s, p50, p99 and bytes of the home read over 32 connections
	bench/http.sh

clean:
	rm -rf bin data
