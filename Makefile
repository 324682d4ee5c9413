# Lodestone build. `make` builds bin/lode; `make test` runs every test; `make SAN=1 ...` builds
# with AddressSanitizer and UndefinedBehaviorSanitizer into build-san/. CC=clang works too.
CC      ?= cc
SAN     ?= 0
PKGS    := sqlite3 libpq libcjson libutf8proc libexttextcat clp cbc libmicrohttpd libsodium
WARN    := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2 -Werror
DEPCFLAGS := $(shell pkg-config --cflags $(PKGS) | sed 's/-I/-isystem /g')
# COIN-OR CBC's C interface lives in libCbcSolver; GLPK and libstemmer have no .pc file.
DEPLIBS = $(shell pkg-config --libs $(PKGS)) -lCbcSolver -lglpk -lstemmer -lcsv -lm -lpthread \
          $(MPILIBS)

# `make MPI=1` builds an MPI-capable lode into build-mpi/ (`mpirun -n K lode simulate --mpi`);
# the plain build does not need MPI. -isystem keeps -Werror off OpenMPI's headers.
MPI ?= 0
ifeq ($(MPI),1)
  B       ?= build-mpi
  CFLAGS  += -DLODE_HAVE_MPI $(shell mpicc --showme:compile | sed 's/-I/-isystem /g')
  MPILIBS := $(shell mpicc --showme:link)
endif

ifeq ($(SAN),1)
  B       ?= build-san
  OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
else
  B       ?= build
  OPT     := -O2 -g
endif
CFLAGS_ALL := $(WARN) $(OPT) -D_POSIX_C_SOURCE=200809L -Iinclude $(DEPCFLAGS) \
              -DLODE_HAVE_CLP -DLODE_HAVE_CBC -DLODE_HAVE_GLPK \
              -DLODE_DATADIR='"$(CURDIR)/data"' -DLODE_SHAREDIR='"$(CURDIR)"' $(CFLAGS)
LDFLAGS_ALL := $(OPT) $(LDFLAGS)

LIB_SRC := $(sort $(wildcard src/util/*.c src/model/*.c src/store/*.c src/engines/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c src/server/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

LODE := $(B)/bin/lode

.PHONY: all test unit cli-test prop-test fuzz bench bench-sim bench-mpi mpi-test tsan clean golden check \
        web serve-test serve-tsan bench-serve
all: $(LODE) bin/lode

bin/lode: $(LODE)
	@mkdir -p bin && cp $(LODE) bin/lode

$(B)/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(B)/liblode.a: $(LIB_OBJ)
	ar rcs $@ $^

$(LODE): $(CLI_OBJ) $(B)/liblode.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(B)/liblode.a $(DEPLIBS)

$(B)/tests/test_%: tests/unit/test_%.c $(B)/liblode.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Isrc -Isrc/engines -o $@ $< $(B)/liblode.a $(DEPLIBS) $(shell pkg-config --libs cmocka)

# The server's parsers, keys and confidentiality rules, without the HTTP layer or the commands.
SERVER_UNIT_OBJ := $(B)/src/server/request.o $(B)/src/server/redact.o $(B)/src/server/keys.o
$(B)/tests/test_server: tests/unit/test_server.c $(SERVER_UNIT_OBJ) $(B)/liblode.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Isrc -Isrc/engines -o $@ $< $(SERVER_UNIT_OBJ) $(B)/liblode.a $(DEPLIBS) $(shell pkg-config --libs cmocka)

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

cli-test: $(LODE)
	@LODE=$(CURDIR)/$(LODE) sh tests/cli/run.sh

prop-test: $(LODE)
	@LODE=$(CURDIR)/$(LODE) sh tests/prop/run.sh

fuzz:
	@sh fuzz/run.sh $(FUZZ_SECONDS)

test: unit cli-test prop-test

golden: $(LODE)
	@LODE=$(CURDIR)/$(LODE) GOLDEN=1 sh tests/cli/run.sh

# The threaded simulation under ThreadSanitizer.
tsan:
	$(MAKE) CC=clang B=build-tsan OPT='-O1 -g -fsanitize=thread' build-tsan/tests/test_simulate
	TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/test_simulate

bench-sim: $(LODE)
	@LODE=$(CURDIR)/$(LODE) sh bench/simulate.sh

# MPI Monte Carlo on loopback: K = 1, 2, 3 give the single-process digest.
mpi-test:
	$(MAKE) MPI=1 B=build-mpi build-mpi/bin/lode
	@LODE=$(CURDIR)/build-mpi/bin/lode sh tests/mpi/run.sh

bench-mpi:
	$(MAKE) MPI=1 B=build-mpi build-mpi/bin/lode
	@LODE=$(CURDIR)/build-mpi/bin/lode sh bench/mpi.sh

bench: $(LODE)
	@sh bench/run.sh

# The dashboard: npm packages (web/package-lock.json) bundled by esbuild into web/dist/, which
# `lode serve` serves. Needs Node.js and npm (tools/setup.sh installs them if missing).
web:
	cd web && npm ci --no-audit --no-fund --loglevel=error && node build.mjs

# `lode serve` end to end: every endpoint x every ally x no one, bad input, slow clients; and the
# OpenAPI document checked against what the server answers.
serve-test: $(LODE)
	@python3 tests/server/api_test.py $(CURDIR)/$(LODE)
	@LODE=$(CURDIR)/$(LODE) sh tests/server/openapi.sh

# The server built with ThreadSanitizer, under concurrent requests and jobs.
serve-tsan:
	$(MAKE) CC=clang B=build-tsan-srv OPT='-O1 -g -fsanitize=thread' build-tsan-srv/bin/lode
	@sh tests/server/tsan.sh $(CURDIR)/build-tsan-srv/bin/lode

bench-serve: $(LODE)
	@LODE=$(CURDIR)/$(LODE) sh bench/serve.sh

clean:
	rm -rf build build-san build-clang build-tsan build-tsan-srv build-mpi build-fuzz bin

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# The whole suite: unit tests, end-to-end and property tests under ASan+UBSan, the fuzzers for
# a bounded time, and the derived tables checked against the method. Ends with one
# "N passed, N failed" line.
check:
	@sh tests/run_all.sh
