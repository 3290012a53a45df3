/* vcard-link.c - vpcd message framing over TCP. */
#include "vcard-link.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int vcard_link_connect(const char *host, unsigned port)
{
    struct addrinfo hints, *res = NULL, *ai;
    char service[16];
    int fd = -1, one = 1;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    snprintf(service, sizeof service, "%u", port);
    if (getaddrinfo(host, service, &hints, &res) != 0) {
        errno = EHOSTUNREACH;
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) /* one small message per exchange: do not wait to coalesce */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int read_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        /* vpcd sends a message's length and its payload in two writes with
         * Nagle's algorithm on: the payload leaves only once the length is
         * acknowledged.  Acknowledge at once (the kernel clears this flag
         * as it goes) instead of after the 40 ms delayed-ACK timer. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

long vcard_link_recv(int fd, uint8_t *buf, size_t cap)
{
    uint8_t hdr[2];
    size_t len;

    if (read_all(fd, hdr, 2) != 0)
        return -1;
    len = ((size_t)hdr[0] << 8) | hdr[1];
    if (len > cap)
        return -1;
    if (read_all(fd, buf, len) != 0)
        return -1;
    return (long)len;
}

int vcard_link_send(int fd, const uint8_t *buf, size_t len)
{
    uint8_t frame[2 + VCARD_MSG_MAX];
    size_t off = 0;

    if (len > VCARD_MSG_MAX)
        return -1;
    frame[0] = (uint8_t)(len >> 8);
    frame[1] = (uint8_t)len;
    memcpy(frame + 2, buf, len);
    len += 2;
    while (off < len) {
        ssize_t w = send(fd, frame + off, len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    return 0;
}
