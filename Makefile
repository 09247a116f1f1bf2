# Flash-sale ticketing: the front door.
#   make            build every binary into build/
#   make test       unit + integration tests (starts its own servers)
#   make lint       shellcheck and luac -p on every script (part of make test)
#   make run        the main job: a full flash sale on the local stack
#   make bench      benchmarks against ceilings measured in the same run
#   make install    PREFIX=/usr/local DESTDIR=
#   SANITIZE=1      build with AddressSanitizer + UBSan (into build-san/)

CXX      ?= g++
PREFIX   ?= /usr/local
DESTDIR  ?=
SANITIZE ?=

BUILD    := build
CXXFLAGS := -std=c++20 -O2 -g -Wall -Wextra -Wno-unused-parameter -MMD -MP -I. -I$(BUILD)/gen
LDFLAGS  :=
ifeq ($(SANITIZE),1)
BUILD    := build-san
CXXFLAGS := -std=c++20 -O1 -g -Wall -Wextra -Wno-unused-parameter -MMD -MP -I. -I$(BUILD)/gen \
            -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  := -fsanitize=address,undefined
endif

COMMON_SRC := $(filter-out common/node_counter.cpp,$(wildcard common/*.cpp)) $(BUILD)/gen/lua_protocol.cpp
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

LIBS_REDIS  := -lhiredis
LIBS_SQLITE := -lsqlite3
LIBS_MYSQL  := -lmysqlcppconn
LIBS_FCGI   := -lfcgi -lpthread -lcurl

BINS := $(BUILD)/seckill-worker $(BUILD)/seckill-hello $(BUILD)/seckill-admin $(BUILD)/unit-tests \
        $(if $(wildcard reconciler/main.cpp),$(BUILD)/seckill-reconciler)

.PHONY: all test test-unit lint run bench install clean deps stack-up stack-down fuzz fuzz-smoke clean-fuzz
all: $(BINS)

# The C++ <-> Lua protocol, generated from lua/protocol.json (scripts/protocol-gen.cpp).
# Every object may include the generated header: it is made before any is compiled.
$(BUILD)/protocol-gen: scripts/protocol-gen.cpp common/keys.h common/order_status.h
	@mkdir -p $(@D)
	$(CXX) -std=c++20 -O1 -Wall -Wextra -I. -o $@ $<
$(BUILD)/gen/lua_protocol.cpp: $(BUILD)/protocol-gen lua/protocol.json $(wildcard lua/*.lua)
	@mkdir -p $(@D)/lua
	$(BUILD)/protocol-gen lua $(@D) $(@D)/lua
$(BUILD)/gen/lua_protocol.h: $(BUILD)/gen/lua_protocol.cpp

$(BUILD)/obj/%.o: %.cpp | $(BUILD)/gen/lua_protocol.h
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -c $< -o $@
$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(BUILD)/seckill-worker: $(call obj,fcgi/main.cpp) $(FCGI_OBJ) $(COUNTER_OBJ) $(COMMON_OBJ)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_FCGI) $(LIBS_REDIS) $(LIBS_SQLITE)
$(BUILD)/seckill-hello: $(call obj,fcgi/hello.cpp)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_FCGI)
$(BUILD)/seckill-admin: $(call obj,admin/main.cpp) $(ADMIN_OBJ) $(COUNTER_OBJ) $(COMMON_OBJ)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_FCGI) $(LIBS_REDIS) $(LIBS_SQLITE) $(LIBS_MYSQL)
$(BUILD)/seckill-reconciler: $(call obj,reconciler/main.cpp) $(RECON_OBJ) $(COMMON_OBJ)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_REDIS) $(LIBS_MYSQL)
$(BUILD)/unit-tests: $(call obj,$(UNIT_SRC)) $(FCGI_OBJ) $(RECON_OBJ) $(ADMIN_OBJ) $(COUNTER_OBJ) $(COMMON_OBJ)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LIBS_FCGI) $(LIBS_REDIS) $(LIBS_SQLITE) $(LIBS_MYSQL)

deps:
	scripts/install-deps

test: deps all
	BUILD=$(BUILD) tests/run

test-unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

lint:
	tests/integration/lint_test.sh

run: deps all
	BUILD=$(BUILD) scripts/sale $(if $(TICKETS),--tickets $(TICKETS)) $(if $(REQUESTS),--requests $(REQUESTS)) \
	  $(if $(USERS),--users $(USERS)) $(if $(CONCURRENCY),--concurrency $(CONCURRENCY)) \
	  $(if $(PAYERS),--payers $(PAYERS)) $(if $(WINDOW),--window $(WINDOW))

bench: deps all
	BUILD=$(BUILD) scripts/bench

stack-up: all
	scripts/stack up
stack-down:
	scripts/stack down

SHARE := $(DESTDIR)$(PREFIX)/share/seckill
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(SHARE)/lua $(SHARE)/nginx $(SHARE)/etc
	install -m 0755 $(BUILD)/seckill-worker $(BUILD)/seckill-admin $(BUILD)/seckill-reconciler $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 lua/*.lua $(SHARE)/lua/
	install -m 0644 nginx/* $(SHARE)/nginx/
	install -m 0644 etc/cluster.conf $(SHARE)/etc/
	cp -r sql web deploy $(SHARE)/
	scripts/install-deploy --destdir "$(DESTDIR)" --prefix "$(PREFIX)" --build "$(BUILD)"

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
FUZZ_SRC      := tests/fuzz/request_fuzz.cpp fcgi/http_request.cpp fcgi/router.cpp fcgi/response.cpp common/ids.cpp
FUZZ_OBJ      := $(patsubst %.cpp,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_SRC))
FUZZ_RUN      := -max_len=4096 -artifact_prefix=var/fuzz/ -print_final_stats=1

$(FUZZ_BUILD)/obj/%.o: %.cpp
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_CXXFLAGS) -c $< -o $@
$(FUZZ_BUILD)/request_fuzz: $(FUZZ_OBJ)
	$(FUZZ_CXX) -fsanitize=fuzzer,address,undefined -o $@ $^

fuzz: $(FUZZ_BUILD)/request_fuzz
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
soak: deps all
	BUILD=$(BUILD) scripts/soak
