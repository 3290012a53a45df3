#!/bin/sh
# bench-firmware.sh [BUILD_ARM_DIR]: flash and RAM per board, stack depth,
# instructions per card load and per metering tick, the card insertion in
# time at the meter, and a token validate+load (QEMU -icount shift=0:
# one guest instruction per ns, deterministic).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
arm=${1:-$top/build-arm}
cd "$top"
if [ ! -f "$arm/build.ninja" ]; then
    meson setup "$arm" --cross-file firmware/cross/arm-none-eabi-cortex-m3.txt >/dev/null
fi
meson compile -C "$arm" >/dev/null

echo "== flash and RAM per board (arm-none-eabi-size) =="
stm=$arm/firmware/boards/stm32f103/kilovend-meter-stm32f103.elf
printf '%-28s ' "stm32f103 (meter image):"
tests/arm/check-size.sh "$stm" 32768 4096
arm-none-eabi-size "$stm" "$arm/tests/arm/test-fw-scenarios-arm.elf" | sed 's|'"$arm"'/||'
echo "(the qemu-mps2-an385 image carries the scenario table and the simulated"
echo " peripherals as well; the meter itself is the stm32f103 figure)"
if [ -f "$top/build/firmware/libkvmeter-core.a" ]; then
    echo "host board (x86-64 objects of core + drivers):"
    size -t "$top/build/firmware/libkvmeter-core.a" "$top/build/firmware/libkvmeter-drivers.a" | tail -1
fi

echo
echo "== QEMU mps2-an385, -icount shift=0 =="
cd "$arm/tests/arm"
timeout 120 qemu-system-arm -M mps2-an385 -nographic -monitor none -serial null \
    -icount shift=0 -semihosting-config enable=on,target=native -kernel fw-bench-arm.elf 2>&1

echo
echo "== validate and load one token (the contract alone, keys made ready once) =="
timeout 120 qemu-system-arm -M mps2-an385 -nographic -monitor none -serial null \
    -icount shift=0 -semihosting-config enable=on,target=native -kernel bench-token-load.elf 2>&1
