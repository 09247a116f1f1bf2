# Flash-sale ticketing: the front door.
#   make            build every binary, and the man pages, into build/
#   make test       unit + integration tests (starts its own servers)
#   make lint       shellcheck and luac -p on every script (part of make test)
#   make run        the main job: a full flash sale on the local stack
#                   (TOPOLOGY=1: on scripts/topology, the load through its virtual IP)
#   make bench      benchmarks against ceilings measured in the same run
#   make install    PREFIX=/usr/local DESTDIR=   (make uninstall: the same files, removed)
#   make deps       install the Debian packages (DEPS=all, or run, test, browser, fuzz, build)
#   SANITIZE=1      build with AddressSanitizer + UBSan (into build-san/)
#   VERSION=...     the version the binaries print (default: git describe --always --dirty)
# The targets that need packages (run, test, bench, soak, stack-up, fuzz)
# check for them first and say what is missing (scripts/install-deps --check
# PURPOSE); they never call apt.

CXX      ?= g++
PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZE ?=
# VERSION is taken from the command line only (an environment's VERSION is not ours).
ifneq ($(origin VERSION),command line)
VERSION :=
endif

BUILD    := build
CXXFLAGS := -std=c++20 -O2 -g -Wall -Wextra -Wno-unused-parameter -MMD -MP -I. -I$(BUILD)/gen
LDFLAGS  :=
ifeq ($(SANITIZE),1)
BUILD    := build-san
CXXFLAGS := -std=c++20 -O1 -g -Wall -Wextra -Wno-unused-parameter -MMD -MP -I. -I$(BUILD)/gen \
            -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  := -fsanitize=address,undefined
endif

COMMON_SRC := $(filter-out common/node_counter.cpp common/identity.cpp common/token_mint.cpp common/pem_key_cache.cpp,$(wildcard common/*.cpp)) $(BUILD)/gen/lua_protocol.cpp
FCGI_SRC   := $(filter-out fcgi/main.cpp fcgi/hello.cpp,$(wildcard fcgi/*.cpp))
RECON_SRC  := $(filter-out reconciler/main.cpp,$(wildcard reconciler/*.cpp))
ADMIN_SRC  := $(filter-out admin/main.cpp,$(wildcard admin/*.cpp))
UNIT_SRC   := $(wildcard tests/unit/*.cpp)

obj = $(patsubst %.cpp,$(BUILD)/obj/%.o,$(patsubst $(BUILD)/%,%,$(1)))

COMMON_OBJ := $(call obj,$(COMMON_SRC))
FCGI_OBJ   := $(call obj,$(FCGI_SRC))
RECON_OBJ  := $(call obj,$(RECON_SRC))
ADMIN_OBJ  := $(call obj,$(ADMIN_SRC))
COUNTER_OBJ := $(call obj,common/node_counter.cpp)  # SQLite: linked by the worker, admin and tests, not the reconciler
IDENTITY_OBJ := $(call obj,common/identity.cpp common/pem_key_cache.cpp)  # libjwt: token verification (worker, admin, sign-in, tests)
MINT_OBJ    := $(call obj,common/token_mint.cpp)    # libjwt: token signing (admin, sign-in, tests; never the worker)

LIBS_REDIS  := -lhiredis
LIBS_SQLITE := -lsqlite3
LIBS_MYSQL  := -lmysqlcppconn
LIBS_FCGI   := -lfcgi -lpthread -lcurl
LIBS_JWT    := -ljwt -lcrypto

# The man pages, made by help2man from each program's --help and --version:
# section 8 (system administration commands and daemons, as Debian's policy
# files them) for the worker and the reconciler, which the systemd units run;
# section 1 for seckill-admin, a command an operator or a script runs by hand.
MAN1 := $(BUILD)/man/seckill-admin.1
MAN8 := $(BUILD)/man/seckill-worker.8 $(BUILD)/man/seckill-reconciler.8
MANS := $(MAN1) $(MAN8)

BINS := $(BUILD)/seckill-worker $(BUILD)/seckill-hello $(BUILD)/seckill-admin $(BUILD)/seckill-signin $(BUILD)/unit-tests \
        $(if $(wildcard reconciler/main.cpp),$(BUILD)/seckill-reconciler)

.PHONY: all man test test-unit lint run bench install uninstall clean deps stack-up stack-down fuzz fuzz-smoke clean-fuzz FORCE
all: $(BINS) $(MANS)

# The C++ <-> Lua protocol, generated from lua/protocol.json (scripts/protocol-gen.cpp).
# Every object may include the generated header: it is made before any is compiled.
$(BUILD)/protocol-gen: scripts/protocol-gen.cpp common/keys.h common/order_status.h
	@mkdir -p $(@D)
	$(CXX) -std=c++20 -O1 -Wall -Wextra -I. -o $@ $< -lcrypto
$(BUILD)/gen/lua_protocol.cpp: $(BUILD)/protocol-gen lua/protocol.json $(wildcard lua/*.lua)
	@mkdir -p $(@D)/lua
	$(BUILD)/protocol-gen lua $(@D) $(@D)/lua
$(BUILD)/gen/lua_protocol.h: $(BUILD)/gen/lua_protocol.cpp

# The version the programs print (--version): build/gen/version_string.h, rewritten
# only when the description changes (a commit, a first edit, VERSION=...), so
# that the programs relink then and only then. `git describe --always --dirty`
# of this checkout; "unknown" outside git (a tarball), never the description
# of a repository the tree happens to sit in.
MAINS_OBJ := $(call obj,fcgi/main.cpp fcgi/hello.cpp admin/main.cpp reconciler/main.cpp signin/main.cpp)
$(MAINS_OBJ): $(BUILD)/gen/version_string.h
$(BUILD)/gen/version_string.h: FORCE
	@mkdir -p $(@D)
	@v='$(VERSION)'; \
	if [ -z "$$v" ]; then \
	  top=$$(git -C '$(CURDIR)' rev-parse --show-toplevel 2>/dev/null) && [ "$$top" = '$(CURDIR)' ] && \
	    v=$$(git -C '$(CURDIR)' describe --always --dirty 2>/dev/null) || v=unknown; \
	fi; \
	printf '%s\n' '// version_string.h: generated by the Makefile (git describe --always --dirty); do not edit.' \
	  '#pragma once' "#define SECKILL_VERSION \"$$v\"" > $@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; echo "version: $$v"; fi
FORCE:

# The man pages (help2man runs each program with --help and --version). A man
# page's date is its commit's, so that a rebuild of the same commit is the same.
MAN_DESC_seckill-worker     := FastCGI worker of a flash-sale node pool
MAN_DESC_seckill-admin      := operator commands of the flash-sale system: events, the cluster config
MAN_DESC_seckill-reconciler := moves the orders of a flash sale from Redis into MySQL, releases expired reservations
# A program with commands: each command's --help, verbatim, in a COMMANDS section.
MAN_COMMANDS_seckill-admin  := create-event fill nodes hosts sale-setting keygen token
# SEE ALSO: the other pages, and the documentation make install puts.
define help2man
@command -v help2man > /dev/null || { echo "help2man is missing: run scripts/install-deps build (the package help2man)" >&2; exit 1; }
@mkdir -p $(@D)
@echo "help2man $@"
@printf '[COMMANDS]\n' > $@.h2m
@for c in $(MAN_COMMANDS_$*); do printf '.SS "%s"\n.nf\n' "$$c"; $< "$$c" --help | sed 's/\\/\\e/g; s/-/\\-/g; s/^[.'"'"']/\\\&&/'; printf '.fi\n'; done >> $@.h2m
@printf '[SEE ALSO]\n' >> $@.h2m
@for m in $(filter-out $(@F),$(notdir $(MANS))); do printf '.BR %s (%s),\n' "$${m%.*}" "$${m##*.}"; done >> $@.h2m
@printf '%s\n' 'and the README, LICENSE and CHANGELOG in share/doc/seckill under the installation prefix;' \
  'the source tree'"'"'s docs/ (architecture, API, operations, deployment).' >> $@.h2m
@SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git -C '$(CURDIR)' log -1 --format=%ct 2>/dev/null || date +%s)} \
  help2man --no-info --section $(1) --name '$(MAN_DESC_$*)' --include $@.h2m --output $@.tmp $< && \
  mv -f $@.tmp $@; rm -f $@.h2m
endef
$(BUILD)/man/%.1: $(BUILD)/%
	$(call help2man,1)
$(BUILD)/man/%.8: $(BUILD)/%
	$(call help2man,8)
man: $(MANS)

$(BUILD)/obj/%.o: %.cpp | $(BUILD)/gen/lua_protocol.h
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -c $< -o $@
$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(BUILD)/seckill-worker: $(call obj,fcgi/main.cpp) $(FCGI_OBJ) $(COUNTER_OBJ) $(IDENTITY_OBJ) $(COMMON_OBJ)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_FCGI) $(LIBS_REDIS) $(LIBS_SQLITE) $(LIBS_JWT)
# The local stack's demo sign-in: the parsing and answers of the worker, the
# minter; not the worker's API (and so never the other way round).
$(BUILD)/seckill-signin: $(call obj,signin/main.cpp fcgi/http_request.cpp fcgi/response.cpp) $(IDENTITY_OBJ) $(MINT_OBJ) $(COMMON_OBJ)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_FCGI) $(LIBS_REDIS) $(LIBS_JWT)
$(BUILD)/seckill-hello: $(call obj,fcgi/hello.cpp)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_FCGI)
$(BUILD)/seckill-admin: $(call obj,admin/main.cpp) $(ADMIN_OBJ) $(COUNTER_OBJ) $(IDENTITY_OBJ) $(MINT_OBJ) $(COMMON_OBJ)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_FCGI) $(LIBS_REDIS) $(LIBS_SQLITE) $(LIBS_MYSQL) $(LIBS_JWT)
$(BUILD)/seckill-reconciler: $(call obj,reconciler/main.cpp) $(RECON_OBJ) $(COMMON_OBJ)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_REDIS) $(LIBS_MYSQL)
$(BUILD)/unit-tests: $(call obj,$(UNIT_SRC)) $(FCGI_OBJ) $(RECON_OBJ) $(ADMIN_OBJ) $(COUNTER_OBJ) $(IDENTITY_OBJ) $(MINT_OBJ) $(COMMON_OBJ)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_FCGI) $(LIBS_REDIS) $(LIBS_SQLITE) $(LIBS_MYSQL) $(LIBS_JWT)

# make deps [DEPS=PURPOSE...]: installs the packages (apt; needs root or sudo).
# deps-PURPOSE: checks only, and fails naming what is missing and the command
# that installs it (scripts/install-deps --check PURPOSE).
DEPS ?= all
deps:
	scripts/install-deps $(DEPS)
deps-%:
	@scripts/install-deps --check $*

test: deps-test all
	BUILD=$(BUILD) tests/run

test-unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

lint:
	tests/integration/lint_test.sh

run: deps-run all
	BUILD=$(BUILD) scripts/sale $(if $(TICKETS),--tickets $(TICKETS)) $(if $(REQUESTS),--requests $(REQUESTS)) \
	  $(if $(USERS),--users $(USERS)) $(if $(CONCURRENCY),--concurrency $(CONCURRENCY)) \
	  $(if $(PAYERS),--payers $(PAYERS)) $(if $(WINDOW),--window $(WINDOW)) $(if $(TOPOLOGY),--topology $(TOPOLOGY)) \
	  $(if $(EVENTS),--events $(EVENTS))

bench: deps-run all
	BUILD=$(BUILD) scripts/bench

stack-up: deps-run all
	scripts/stack up
stack-down:
	scripts/stack down

# ---- Install ----------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=] installs sets of files; a set is
# inst_NAME_DIR (its folder, under DESTDIR), inst_NAME_MODE, inst_NAME_FILES,
# and inst_NAME_TREE: empty, the files go flat into the folder; 1, each keeps
# its path in the source tree below the folder (lua/x.lua: share/seckill/lua/x.lua).
# A script of INSTALL_SCRIPTS, run after the sets as SCRIPT --destdir DESTDIR
# --prefix PREFIX --build BUILD, installs what a set cannot (files rendered
# from the cluster config, the operator's files only where absent); it must
# append each path it writes (without DESTDIR, one a line) to the file named
# by $SECKILL_INSTALL_MANIFEST.
# Every installed path goes into the manifest, $(MANIFEST) (with what an
# earlier install listed); make uninstall removes exactly the files it lists
# (the sets' files when there is no manifest), then the folders of OWN_DIRS
# left empty; shared folders (bin, share/man/man1, /etc) stay. A file
# installed and not listed would stay behind: tests/integration/release_test.sh
# checks that none does.
SHARE  := $(PREFIX)/share/seckill
DOCDIR := $(PREFIX)/share/doc/seckill
MANDIR := $(PREFIX)/share/man
INSTALL_SETS := bin man1 man8 doc data
inst_bin_DIR    := $(PREFIX)/bin
inst_bin_MODE   := 0755
inst_bin_FILES  := $(BUILD)/seckill-worker $(BUILD)/seckill-admin $(BUILD)/seckill-reconciler
inst_man1_DIR   := $(MANDIR)/man1
inst_man1_MODE  := 0644
inst_man1_FILES := $(MAN1)
inst_man8_DIR   := $(MANDIR)/man8
inst_man8_MODE  := 0644
inst_man8_FILES := $(MAN8)
inst_doc_DIR    := $(DOCDIR)
inst_doc_MODE   := 0644
inst_doc_FILES  := LICENSE CHANGELOG README.md
inst_data_DIR   := $(SHARE)
inst_data_MODE  := 0644
inst_data_TREE  := 1
inst_data_FILES := $(wildcard lua/*.lua) $(filter-out %/,$(wildcard nginx/*)) etc/cluster.conf \
                   $(sort $(shell find sql web deploy -type f 2>/dev/null))
INSTALL_SCRIPTS := scripts/install-deploy
OWN_DIRS := $(SHARE) $(DOCDIR) /etc/seckill /etc/nginx/seckill
MANIFEST := $(SHARE)/install-manifest

# installed NAME: the paths (under DESTDIR) of set NAME's files once installed.
installed = $(if $(inst_$(1)_TREE),$(addprefix $(inst_$(1)_DIR)/,$(inst_$(1)_FILES)),$(addprefix $(inst_$(1)_DIR)/,$(notdir $(inst_$(1)_FILES))))
INSTALLED := $(foreach s,$(INSTALL_SETS),$(call installed,$(s)))
# install_set NAME: the shell command that installs set NAME.
install_set = $(if $(inst_$(1)_TREE), \
  for f in $(inst_$(1)_FILES); do install -D -m $(inst_$(1)_MODE) "$$f" "$(DESTDIR)$(inst_$(1)_DIR)/$$f"; done, \
  install -d "$(DESTDIR)$(inst_$(1)_DIR)"; install -m $(inst_$(1)_MODE) $(inst_$(1)_FILES) "$(DESTDIR)$(inst_$(1)_DIR)/")

install: all
	@set -e; $(foreach s,$(INSTALL_SETS),echo "install: $(s) -> $(DESTDIR)$(inst_$(s)_DIR)"; $(call install_set,$(s));)
	@m="$(DESTDIR)$(MANIFEST)"; set -e; touch "$$m"; \
	printf '%s\n' $(INSTALLED) '$(MANIFEST)' >> "$$m"; \
	$(foreach x,$(INSTALL_SCRIPTS),echo "install: $(x)"; \
	  SECKILL_INSTALL_MANIFEST="$$m" $(x) --destdir "$(DESTDIR)" --prefix "$(PREFIX)" --build "$(BUILD)";) \
	sort -u -o "$$m" "$$m"; chmod 0644 "$$m"; echo "install: $$(wc -l < "$$m") files, listed in $$m"

uninstall:
	@m="$(DESTDIR)$(MANIFEST)"; \
	if [ -f "$$m" ]; then list=$$(cat "$$m"); else list='$(INSTALLED)'; fi; \
	n=0; for f in $$list; do \
	  if [ -e "$(DESTDIR)$$f" ] || [ -L "$(DESTDIR)$$f" ]; then rm -f "$(DESTDIR)$$f"; n=$$((n + 1)); fi; done; \
	echo "uninstall: $$n files removed from $(or $(DESTDIR),/)"
	@for d in $(addprefix $(DESTDIR),$(OWN_DIRS)); do [ ! -d "$$d" ] || find "$$d" -depth -type d -empty -delete; done

clean:
	rm -rf build build-san

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---- Fuzzing (tests/fuzz/) -------------------------------------------------
# libFuzzer + ASan + UBSan, built by clang++ into build-fuzz/ (its own objects,
# never mixed with the g++ ones in build/ or build-san/). The target links only
# the pure parsing code.
#   make fuzz [FUZZ_SECONDS=600]       a long run; the corpus grows in var/fuzz/corpus
#   make fuzz-smoke [FUZZ_SECONDS=60]  a short run from a fresh copy of the seeds
#                                      (tests/integration/fuzz_test.sh)
# An input that crashes is written as var/fuzz/crash-<sha1> (or leak-, timeout-,
# oom-); replay it with: build-fuzz/request_fuzz var/fuzz/crash-<sha1>
FUZZ_CXX      ?= clang++
FUZZ_BUILD    := build-fuzz
FUZZ_CXXFLAGS := -std=c++20 -O1 -g -Wall -Wextra -Wno-unused-parameter -MMD -MP -I. \
                 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SRC      := tests/fuzz/request_fuzz.cpp fcgi/http_request.cpp fcgi/router.cpp fcgi/response.cpp common/ids.cpp \
                 common/identity.cpp common/pem_key_cache.cpp
FUZZ_OBJ      := $(patsubst %.cpp,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_SRC))
FUZZ_RUN      := -max_len=4096 -artifact_prefix=var/fuzz/ -print_final_stats=1

$(FUZZ_BUILD)/obj/%.o: %.cpp
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -c $< -o $@
$(FUZZ_BUILD)/request_fuzz: $(FUZZ_OBJ)
	$(FUZZ_CXX) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS_JWT)

fuzz: deps-fuzz $(FUZZ_BUILD)/request_fuzz
	@mkdir -p var/fuzz/corpus
	cp tests/fuzz/corpus/* var/fuzz/corpus/
	$(FUZZ_BUILD)/request_fuzz $(FUZZ_RUN) -max_total_time=$(or $(FUZZ_SECONDS),600) var/fuzz/corpus

fuzz-smoke: $(FUZZ_BUILD)/request_fuzz
	@mkdir -p var/fuzz
	@corpus=$$(mktemp -d var/fuzz/smoke.XXXXXX) && cp tests/fuzz/corpus/* "$$corpus"/ && \
	  { $(FUZZ_BUILD)/request_fuzz $(FUZZ_RUN) -max_total_time=$(or $(FUZZ_SECONDS),60) "$$corpus"; rc=$$?; \
	    rm -rf "$$corpus"; exit $$rc; }

clean: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_BUILD)

-include $(wildcard $(FUZZ_OBJ:.o=.d))

# The soak: 10 minutes at about 80 % of the measured maximum (SOAK_SECONDS).
.PHONY: soak
soak: deps-run all
	BUILD=$(BUILD) scripts/soak
