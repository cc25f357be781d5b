# The two commands of the README's Quick start, and the pieces they use.
#   make demo   build ward and run a sandboxed Python hello-world (JSON result)
#   make check  build ward and run every test
# Both install the Debian packages they need when they are missing (as root).

BUILD ?= build
DEB_PACKAGES = gcc meson ninja-build pkg-config libseccomp-dev libjansson-dev nettle-dev \
	libcmocka-dev python3 jq procps util-linux bubblewrap nodejs

.PHONY: all deps build demo check bench clean

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

check: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

bench: build
	bench/run

clean:
	rm -rf $(BUILD)
