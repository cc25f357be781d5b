# The two commands of the README's Quick start, and the pieces they use.
#   make demo   build ward and run a sandboxed Python hello-world (JSON result)
#   make check  build ward and run every test
# Both install the Debian packages they need when they are missing (as root).

BUILD ?= build
DEB_PACKAGES = gcc meson ninja-build pkg-config libseccomp-dev libjansson-dev nettle-dev \
	libcmocka-dev python3 jq procps util-linux bubblewrap nodejs \
	valgrind clang-format clang-tidy cppcheck libmicrohttpd-dev curl xxd openssl \
	python3-numpy python3-pandas python3-matplotlib

.PHONY: all deps build demo check check-sanitizers bench fuzz clean

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	$(BUILD)/ward run --json --memory 256M --wall-time 10s --lang python \
	  -c 'import os, platform; print("hello from", platform.node(), "as uid", os.getuid())' | jq .

# Every test, then the unit and fuzz-replay tests under valgrind, then
# the whole suite again in a build with AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer (any report fails the test that made it). All
# three phases run; the target fails if any did.
SAN_BUILD ?= build-san
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

check: build
	@rc=0; \
	meson test -C $(BUILD) --print-errorlogs --num-processes 2 || rc=1; \
	meson test -C $(BUILD) --setup valgrind --suite unit --suite fuzz --print-errorlogs || rc=1; \
	$(MAKE) --no-print-directory check-sanitizers || rc=1; \
	exit $$rc

check-sanitizers: deps
	test -f $(SAN_BUILD)/build.ninja || meson setup $(SAN_BUILD) -Db_sanitize=address,undefined \
	  -Db_lundef=false -Dc_args=-fno-sanitize-recover=all
	ninja -C $(SAN_BUILD)
	$(SAN_ENV) meson test -C $(SAN_BUILD) --print-errorlogs --num-processes 2 --no-suite static

bench: build
	bench/run

# make fuzz [FUZZ_SECONDS=300]: every fuzz target under libFuzzer for
# FUZZ_SECONDS each, in a clang build with ASan and UBSan (fuzz/README.md).
# Each runs over a copy of its seed corpus in $(FUZZ_BUILD)/fuzz-work/, so
# the checked-in seeds are not flooded; a finding is left in that
# directory's artifacts/ and the target exits with an error.
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
FUZZ_TARGETS = policy options size netrules dns frame json request

$(FUZZ_BUILD)/build.ninja:
	@command -v clang >/dev/null || { echo "make fuzz needs clang (apt-get install clang)"; exit 1; }
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false

fuzz: $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD) $(addprefix fuzz/fuzz-,$(FUZZ_TARGETS))
	@failed=""; \
	for t in $(FUZZ_TARGETS); do \
	  work=$(FUZZ_BUILD)/fuzz-work/$$t; \
	  mkdir -p $$work/corpus $$work/artifacts; \
	  cp fuzz/corpus/$$t/* $$work/corpus/; \
	  dict=""; [ ! -f fuzz/dict/$$t.dict ] || dict=-dict=fuzz/dict/$$t.dict; \
	  echo "fuzz-$$t: $(FUZZ_SECONDS)s $$dict (log: $$work/log)"; \
	  if $(FUZZ_BUILD)/fuzz/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$dict \
	       -artifact_prefix=$$work/artifacts/ $$work/corpus >$$work/log 2>&1; then \
	    execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$work/log); \
	    cov=$$(grep -E '^#[0-9]+.*cov: ' $$work/log | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [^ ]+'); \
	    echo "fuzz-$$t: $$execs execs, $$cov"; \
	  else \
	    failed="$$failed $$t"; \
	    grep -E '^==[0-9]+==ERROR|^SUMMARY|^fuzz check failed|Test unit written' $$work/log | cut -c1-300; \
	  fi; \
	done; \
	[ -z "$$failed" ] || { echo "fuzz: findings in:$$failed (see $(FUZZ_BUILD)/fuzz-work/*/log)"; exit 1; }

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
