#!/bin/sh
# Benchmarks of the card contract: code size on Cortex-M3 and M0,
# instructions to validate and load a token on Cortex-M3 (QEMU -icount),
# card bytes written per sale and wear over a card's life.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== crypto/ code and data size (arm-none-eabi-gcc -Os, bytes)"
for cpu in cortex-m3 cortex-m0; do
    for f in "$top"/crypto/*.c; do
        arm-none-eabi-gcc -std=c99 -Os -mcpu=$cpu -mthumb -ffunction-sections -fdata-sections \
            -Wall -Wextra -Werror -c "$f" -o "$tmp/$(basename "$f" .c).$cpu.o"
    done
    arm-none-eabi-size -t "$tmp"/*.$cpu.o | awk -v cpu=$cpu \
        '/TOTALS/ { printf "%-10s text %6d  data %4d  bss %4d\n", cpu, $1, $2, $3 }'
done

echo "== Cortex-M3 under QEMU -icount"
"$top/tests/qemu-run" "$top/build-arm/tests/arm/bench-token-load.elf" -icount shift=0 2>&1

echo "== card wear"
"$top/build/tools/bench-card-wear"
