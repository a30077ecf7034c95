# pinrace: build lib/*/ (one folder per concern, see README's layout table)
# into a static library and every tests/*.c into its own binary under
# build/tests/.
#
#   make          build
#   make check    install what is missing, build, run the self-tests here and
#                 the quick profile in a QEMU guest (setup/check/check.sh)
#   make bench    verifier and RDMA throughput, as ratios to memcpy/perftest
#   make check-lava  a real LAVA run (lava-run) of setup/lava/job-qemu.yaml
#                 on this machine (setup/check/check-lava.sh; boots a guest)
#   make format   clang-format every C file

CC ?= gcc
CFLAGS ?= -O2 -g
PKGS := libibverbs librdmacm libxxhash liburing
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -libverbs -lrdmacm -lxxhash -luring)
LIB_DIRS := $(sort $(dir $(wildcard lib/*/*.c lib/*/*.h)))
override CFLAGS += -std=gnu11 -D_GNU_SOURCE -Wall -Wextra $(addprefix -I,$(LIB_DIRS)) $(PKG_CFLAGS) -MMD -MP
LDLIBS := $(PKG_LIBS) -lpthread

B := build
LIB_OBJS := $(patsubst %.c,$(B)/%.o,$(wildcard lib/*/*.c))
TESTS := $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/*.c))

all: $(TESTS)

$(B)/libpinrace.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(B)/lib/%.o: lib/%.c Makefile
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/tests/%: tests/%.c $(B)/libpinrace.a Makefile
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libpinrace.a $(LDLIBS)

check:
	bash setup/host/deps.sh
	$(MAKE) all
	bash setup/check/check.sh

bench:
	bash setup/host/deps.sh
	$(MAKE) all
	bash setup/run/bench.sh

check-lava:
	bash setup/check/check-lava.sh

format:
	clang-format -i lib/*/*.[ch] tests/*.c

clean:
	rm -rf $(B)

.PHONY: all check check-lava bench format clean
-include $(LIB_OBJS:.o=.d) $(TESTS:=.d)
