#!/bin/sh
# check-size.sh ELF FLASH_MAX RAM_MAX: the image fits its budget.  Flash =
# code + constants + initialised data (+ the 1 KiB provisioning page the
# linker reserves); RAM = data + bss + the reserved stack.
set -eu
elf=$1
flash_max=$2
ram_max=$3
arm-none-eabi-size -A "$elf" | awk -v fmax="$flash_max" -v rmax="$ram_max" '
    $1 == ".text" || $1 == ".ARM.exidx" { flash += $2 }
    $1 == ".data" { flash += $2; ram += $2 }
    $1 == ".bss" || $1 == ".stack" { ram += $2 }
    END {
        flash += 1024  # provisioning block page
        printf "flash %d of %d bytes, RAM %d of %d bytes (stack included)\n", flash, fmax, ram, rmax
        if (flash > fmax || ram > rmax || flash == 1024) { print "OVER BUDGET"; exit 1 }
    }'
