#!/bin/sh
# check-size.sh ELF FLASH_MAX RAM_MAX: the image fits its budget.  Flash =
# code + constants + initialised data (+ the five 1 KiB pages of internal
# flash the linker reserves for the internal record and the provisioning
# block); RAM = data + bss + the reserved stack.
set -eu
elf=$1
flash_max=$2
ram_max=$3
arm-none-eabi-size -A "$elf" | awk -v fmax="$flash_max" -v rmax="$ram_max" '
    $1 == ".text" || $1 == ".ARM.exidx" { flash += $2 }
    $1 == ".data" { flash += $2; ram += $2 }
    $1 == ".bss" || $1 == ".stack" { ram += $2 }
    END {
        flash += 5120  # secure store: internal record and provisioning block pages
        printf "flash %d of %d bytes, RAM %d of %d bytes (stack included)\n", flash, fmax, ram, rmax
        if (flash > fmax || ram > rmax || flash == 5120) { print "OVER BUDGET"; exit 1 }
    }'
