/* meter-sim-arm.c - kilovend-meter-sim on Cortex-M3 under QEMU.
 *
 * The simulator's own source (firmware/boards/host/meter_sim.c, built with
 * its main renamed) over the host board compiled for ARM: the meter core,
 * the SLE4442 wire driver and the simulated peripherals run as ARM code,
 * while stdio and the state, card and provisioning files go to the host
 * through semihosting (newlib's rdimon).  The command line comes from the
 * file "argv" in QEMU's working directory, one argument a line, because
 * the board's start-up passes main() none; the exit status is the
 * simulator's, through the board's semihosting exit.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int meter_sim_main(int argc, char **argv);
void initialise_monitor_handles(void);
int main(void);

/* Semihosting has no mkdir: the host makes the state directory before it
 * starts QEMU, so it always exists here. */
int mkdir(const char *path, mode_t mode)
{
    (void)path;
    (void)mode;
    errno = EEXIST;
    return -1;
}

/* Nor chmod: files get the host's default mode. */
int chmod(const char *path, mode_t mode)
{
    (void)path;
    (void)mode;
    return 0;
}

/* newlib's rename() goes through link() and unlink(), which semihosting
 * lacks; rdimon's _rename() is the host's rename (replacing the target),
 * which the simulator's atomic saves rely on. */
int _rename(const char *from, const char *to);
int rename(const char *from, const char *to)
{
    return _rename(from, to);
}

#define MAX_ARGS 16

int main(void)
{
    static char buf[1024];
    static char *argv[MAX_ARGS + 1];
    int argc = 0, rc;
    size_t n;
    FILE *f;

    initialise_monitor_handles();
    f = fopen("argv", "rb");
    if (!f) {
        fputs("meter-sim-arm: no argv file in the working directory\n", stderr);
        return 2;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (char *p = buf, *nl; *p && argc < MAX_ARGS; p = nl + 1) {
        nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        argv[argc++] = p;
    }
    argv[argc] = NULL;
    rc = meter_sim_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    return rc;
}
