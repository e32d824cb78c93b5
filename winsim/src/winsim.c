/*
 * portres Windows-semantics simulator (test-only). See winsim.h for the exported functions and
 * docs/windows.md ("Testing the Windows backend on Linux") for how it is used.
 *
 * What it models, after Microsoft's documentation of the port-reservation API:
 *  - a persistent store shared by every process of a test: the file named by WINSIM_STORE (flock'ed for each
 *    operation); tokens are random 64-bit values; winsim_reboot() gives every persistent reservation a new token;
 *  - Create/Delete need elevation (WINSIM_ELEVATED=1), else ERROR_ACCESS_DENIED; Create on a block that overlaps
 *    a reservation, or holds a port in use, fails with ERROR_SHARING_VIOLATION; Lookup needs the exact
 *    (StartPort, NumberOfPorts), else ERROR_NOT_FOUND; StartPort is in network byte order;
 *  - SIO_ASSOCIATE_PORT_RESERVATION: an unknown token (or one of the other protocol, or another process's runtime
 *    token) is WSAEINVAL; a persistent token without elevation is WSAEACCES; after bind it is WSAEINVAL;
 *  - bind() (interposed with LD_PRELOAD): a wildcard bind of an associated socket takes a free port of the block;
 *    when none is free the bind fails (EADDRINUSE, which the JDK reports as a BindException); a specific port
 *    outside the block fails with EADDRNOTAVAIL (undocumented on Windows: a conservative choice);
 *  - WINSIM_STRICT=1: an unassociated bind to a specific port inside a persistent block fails with EACCES (what
 *    one Microsoft document claims; field reports say Windows lets it through, which is the default here);
 *  - SIO_ACQUIRE/RELEASE_PORT_RESERVATION: runtime reservations belong to the acquiring process and socket; they
 *    overlap nothing (WSAEADDRINUSE); StartPort 0 takes any free block (searched from 61000, above Linux's
 *    default ephemeral range); they end with SIO_RELEASE, the socket's close, or the process's exit;
 *  - connect() of an associated, unbound TCP socket first binds it from the block (the implicit bind).
 * Errors of WSAIoctl are returned as on Windows (SOCKET_ERROR and WSAGetLastError()) and also left in errno, which
 * is where JNA's Native.getLastError() reads them on Linux.
 */
#define _GNU_SOURCE
#include "winsim.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define TCP 6
#define UDP 17
#define MAX_RECORDS 4096
#define ANY_BLOCK_FROM 61000u

/* ---------------------------------------------------------------------------------------------------------- */
/* the real libc functions                                                                                    */

static int (*real_bind)(int, const struct sockaddr *, socklen_t);
static int (*real_connect)(int, const struct sockaddr *, socklen_t);
static int (*real_close)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

static void resolve_real(void) {
    real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
    real_connect = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
    real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    real_dup2 = (int (*)(int, int))dlsym(RTLD_NEXT, "dup2");
    real_dup3 = (int (*)(int, int, int))dlsym(RTLD_NEXT, "dup3");
}

static void init_real(void) {
    pthread_once(&real_once, resolve_real);
}

static __thread int wsa_last_error;

static int wsa_fail(int code) {
    wsa_last_error = code;
    errno = code;
    return SOCKET_ERROR;
}

static int env_flag(const char *name) {
    const char *v = getenv(name);
    return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

static int elevated(void) {
    return env_flag("WINSIM_ELEVATED");
}

static int strict_mode(void) {
    return env_flag("WINSIM_STRICT");
}

static const char *proto_name(int proto) {
    return proto == TCP ? "tcp" : "udp";
}

/* ---------------------------------------------------------------------------------------------------------- */
/* the persistent store: a text file, one reservation a line                                                  */

struct record {
    char kind; /* 'p' persistent, 'r' runtime */
    int proto;
    unsigned start;
    unsigned count;
    uint64_t token;
    long pid; /* runtime: owning process */
    int fd;   /* runtime: acquiring socket */
};

struct store {
    int fd;
    unsigned boot;
    int n;
    struct record rec[MAX_RECORDS];
};

static const char *store_path(void) {
    const char *p = getenv("WINSIM_STORE");
    return p != NULL && *p != '\0' ? p : "/tmp/portres-winsim.store";
}

static int alive(long pid) {
    return kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

/* Opens and locks the store and reads it; runtime reservations of processes that have exited are dropped. */
static int store_open(struct store *s) {
    init_real();
    s->n = 0;
    s->boot = 0;
    s->fd = open(store_path(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (s->fd < 0) {
        return -1;
    }
    if (flock(s->fd, LOCK_EX) != 0) {
        real_close(s->fd);
        return -1;
    }
    int copy = dup(s->fd);
    FILE *f = copy < 0 ? NULL : fdopen(copy, "r");
    if (f == NULL) {
        return 0;
    }
    char line[256];
    while (fgets(line, sizeof line, f) != NULL && s->n < MAX_RECORDS) {
        struct record r;
        char kind[4], proto[8];
        unsigned long long token;
        memset(&r, 0, sizeof r);
        if (sscanf(line, "boot %u", &s->boot) == 1) {
            continue;
        }
        int k = sscanf(line, "%3s %7s %u %u %llx %ld %d", kind, proto, &r.start, &r.count, &token, &r.pid, &r.fd);
        if (k < 5 || (kind[0] != 'p' && kind[0] != 'r')) {
            continue;
        }
        r.kind = kind[0];
        r.proto = strcmp(proto, "udp") == 0 ? UDP : TCP;
        r.token = (uint64_t)token;
        if (r.kind == 'r' && (k < 7 || !alive(r.pid))) {
            continue;
        }
        s->rec[s->n++] = r;
    }
    fclose(f);
    return 0;
}

static void store_save(struct store *s) {
    char buf[128];
    if (ftruncate(s->fd, 0) != 0 || lseek(s->fd, 0, SEEK_SET) != 0) {
        return;
    }
    int len = snprintf(buf, sizeof buf, "boot %u\n", s->boot);
    if (write(s->fd, buf, (size_t)len) != len) {
        return;
    }
    for (int i = 0; i < s->n; i++) {
        struct record *r = &s->rec[i];
        if (r->kind == 'p') {
            len = snprintf(buf, sizeof buf, "p %s %u %u %016" PRIX64 "\n", proto_name(r->proto), r->start,
                           r->count, r->token);
        } else {
            len = snprintf(buf, sizeof buf, "r %s %u %u %016" PRIX64 " %ld %d\n", proto_name(r->proto), r->start,
                           r->count, r->token, r->pid, r->fd);
        }
        if (write(s->fd, buf, (size_t)len) != len) {
            return;
        }
    }
}

static void store_close(struct store *s) {
    if (s->fd >= 0) {
        flock(s->fd, LOCK_UN);
        real_close(s->fd);
        s->fd = -1;
    }
}

static void store_remove(struct store *s, int i) {
    s->rec[i] = s->rec[--s->n];
}

static int overlaps(const struct record *r, int proto, unsigned start, unsigned count) {
    return r->proto == proto && start < r->start + r->count && r->start < start + count;
}

static int find_overlap(struct store *s, int proto, unsigned start, unsigned count) {
    for (int i = 0; i < s->n; i++) {
        if (overlaps(&s->rec[i], proto, start, count)) {
            return i;
        }
    }
    return -1;
}

static int find_token(struct store *s, uint64_t token) {
    for (int i = 0; i < s->n; i++) {
        if (s->rec[i].token == token) {
            return i;
        }
    }
    return -1;
}

static uint64_t new_token(struct store *s) {
    uint64_t t = 0;
    while (t == 0 || find_token(s, t) >= 0) {
        if (getrandom(&t, sizeof t, 0) != (ssize_t)sizeof t) {
            t = ((uint64_t)rand() << 32) ^ (uint64_t)rand() ^ (uint64_t)getpid();
        }
    }
    return t;
}

/* Whether some socket holds the port: a bind probe on the dual-stack wildcard address (TCP with SO_REUSEADDR, so
 * that only bound and listening sockets count, not connections in TIME_WAIT). */
static int port_in_use(int proto, unsigned port) {
    int type = proto == TCP ? SOCK_STREAM : SOCK_DGRAM;
    int s = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
    int rc, err, one = 1, zero = 0;
    if (s >= 0) {
        struct sockaddr_in6 a;
        memset(&a, 0, sizeof a);
        a.sin6_family = AF_INET6;
        a.sin6_port = htons((uint16_t)port);
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        if (proto == TCP) {
            setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        }
        rc = real_bind(s, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in a;
        s = socket(AF_INET, type | SOCK_CLOEXEC, 0);
        if (s < 0) {
            return 0;
        }
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        if (proto == TCP) {
            setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        }
        rc = real_bind(s, (struct sockaddr *)&a, sizeof a);
    }
    err = errno;
    real_close(s);
    return rc != 0 && (err == EADDRINUSE || err == EACCES);
}

static int block_in_use(int proto, unsigned start, unsigned count) {
    for (unsigned p = start; p < start + count; p++) {
        if (port_in_use(proto, p)) {
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* per-socket state of this process: associations and acquired runtime reservations                          */

struct fdinfo {
    ino_t ino;      /* the socket's inode when the state was set: a reused fd number is another socket */
    uint8_t assoc;  /* associated with a reservation */
    uint8_t acquired; /* a runtime reservation was acquired on this socket */
    uint8_t proto;
    uint16_t start;
    uint32_t count;
    uint64_t token;
};

static struct fdinfo *fds;
static int fds_size;
static pthread_mutex_t fds_lock = PTHREAD_MUTEX_INITIALIZER;

static ino_t inode_of(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) ? st.st_ino : 0;
}

/* Copies the state of fd into *out; returns 0 when there is none (or the fd is now another socket). */
static int fd_get(int fd, struct fdinfo *out) {
    int found = 0;
    if (fd < 0) {
        return 0;
    }
    pthread_mutex_lock(&fds_lock);
    if (fd < fds_size && (fds[fd].assoc || fds[fd].acquired)) {
        *out = fds[fd];
        found = 1;
    }
    pthread_mutex_unlock(&fds_lock);
    if (found && out->ino != inode_of(fd)) {
        found = 0;
    }
    return found;
}

static struct fdinfo *fd_slot(int fd) {
    if (fd >= fds_size) {
        int n = fds_size == 0 ? 1024 : fds_size;
        while (n <= fd) {
            n *= 2;
        }
        struct fdinfo *grown = realloc(fds, (size_t)n * sizeof *fds);
        if (grown == NULL) {
            return NULL;
        }
        memset(grown + fds_size, 0, (size_t)(n - fds_size) * sizeof *fds);
        fds = grown;
        fds_size = n;
    }
    return &fds[fd];
}

static void release_runtime_of(long pid, int fd) {
    struct store s;
    if (store_open(&s) != 0) {
        return;
    }
    for (int i = s.n - 1; i >= 0; i--) {
        if (s.rec[i].kind == 'r' && s.rec[i].pid == pid && s.rec[i].fd == fd) {
            store_remove(&s, i);
        }
    }
    store_save(&s);
    store_close(&s);
}

/* The socket behind fd is going away (close, or dup2 onto it). */
static void fd_forget(int fd) {
    int acquired = 0;
    if (fd < 0) {
        return;
    }
    pthread_mutex_lock(&fds_lock);
    if (fd < fds_size && (fds[fd].assoc || fds[fd].acquired)) {
        acquired = fds[fd].acquired;
        memset(&fds[fd], 0, sizeof fds[fd]);
    }
    pthread_mutex_unlock(&fds_lock);
    if (acquired) {
        release_runtime_of((long)getpid(), fd);
    }
}

/* 6 (TCP), 17 (UDP), 0 for another socket, -1 for something that is not a socket */
static int sock_proto(int fd) {
    int p = 0;
    socklen_t len = sizeof p;
    if (inode_of(fd) == 0) {
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, &len) != 0) {
        return 0;
    }
    return p == IPPROTO_TCP ? TCP : p == IPPROTO_UDP ? UDP : 0;
}

/* The local port the socket is bound to; 0 when unbound; also reports its address family. */
static int sock_port(int fd, int *family) {
    struct sockaddr_storage a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    if (getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        return -1;
    }
    if (family != NULL) {
        *family = a.ss_family;
    }
    if (a.ss_family == AF_INET) {
        return ntohs(((struct sockaddr_in *)&a)->sin_port);
    }
    if (a.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
    }
    return -1;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* iphlpapi                                                                                                   */

static uint32_t create_persistent(int proto, uint16_t start_net, uint16_t count, uint64_t *token) {
    unsigned start = ntohs(start_net);
    struct store s;
    if (start == 0 || count == 0 || start + count - 1u > 65535u || token == NULL) {
        return ERROR_INVALID_PARAMETER;
    }
    if (!elevated()) {
        return ERROR_ACCESS_DENIED;
    }
    if (store_open(&s) != 0) {
        return ERROR_ACCESS_DENIED;
    }
    uint32_t rc = NO_ERROR;
    if (find_overlap(&s, proto, start, count) >= 0 || block_in_use(proto, start, count) || s.n == MAX_RECORDS) {
        rc = ERROR_SHARING_VIOLATION;
    } else {
        struct record r;
        memset(&r, 0, sizeof r);
        r.kind = 'p';
        r.proto = proto;
        r.start = start;
        r.count = count;
        r.token = new_token(&s);
        s.rec[s.n++] = r;
        store_save(&s);
        *token = r.token;
    }
    store_close(&s);
    return rc;
}

static uint32_t lookup_persistent(int proto, uint16_t start_net, uint16_t count, uint64_t *token) {
    unsigned start = ntohs(start_net);
    struct store s;
    if (start == 0 || count == 0 || token == NULL) {
        return ERROR_INVALID_PARAMETER;
    }
    if (store_open(&s) != 0) {
        return ERROR_NOT_FOUND;
    }
    uint32_t rc = ERROR_NOT_FOUND;
    for (int i = 0; i < s.n; i++) {
        struct record *r = &s.rec[i];
        if (r->kind == 'p' && r->proto == proto && r->start == start && r->count == count) {
            *token = r->token;
            rc = NO_ERROR;
        }
    }
    store_close(&s);
    return rc;
}

static uint32_t delete_persistent(int proto, uint16_t start_net, uint16_t count) {
    unsigned start = ntohs(start_net);
    struct store s;
    if (start == 0 || count == 0) {
        return ERROR_INVALID_PARAMETER;
    }
    if (!elevated()) {
        return ERROR_ACCESS_DENIED;
    }
    if (store_open(&s) != 0) {
        return ERROR_NOT_FOUND;
    }
    uint32_t rc = ERROR_NOT_FOUND;
    for (int i = s.n - 1; i >= 0; i--) {
        struct record *r = &s.rec[i];
        if (r->kind == 'p' && r->proto == proto && r->start == start && r->count == count) {
            store_remove(&s, i);
            rc = NO_ERROR;
        }
    }
    store_save(&s);
    store_close(&s);
    return rc;
}

EXPORT uint32_t CreatePersistentTcpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts, uint64_t *Token) {
    return create_persistent(TCP, StartPort, NumberOfPorts, Token);
}

EXPORT uint32_t LookupPersistentTcpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts, uint64_t *Token) {
    return lookup_persistent(TCP, StartPort, NumberOfPorts, Token);
}

EXPORT uint32_t DeletePersistentTcpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts) {
    return delete_persistent(TCP, StartPort, NumberOfPorts);
}

EXPORT uint32_t CreatePersistentUdpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts, uint64_t *Token) {
    return create_persistent(UDP, StartPort, NumberOfPorts, Token);
}

EXPORT uint32_t LookupPersistentUdpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts, uint64_t *Token) {
    return lookup_persistent(UDP, StartPort, NumberOfPorts, Token);
}

EXPORT uint32_t DeletePersistentUdpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts) {
    return delete_persistent(UDP, StartPort, NumberOfPorts);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* ws2_32                                                                                                     */

static int associate(int fd, int proto, const void *in, uint32_t inlen) {
    struct store s;
    struct fdinfo existing;
    uint64_t token;
    if (in == NULL) {
        return wsa_fail(WSAEFAULT);
    }
    if (inlen < sizeof(INET_PORT_RESERVATION_TOKEN)) {
        return wsa_fail(WSAEINVAL);
    }
    memcpy(&token, in, sizeof token);
    if (token == 0 || sock_port(fd, NULL) > 0) {
        return wsa_fail(WSAEINVAL); /* the invalid token, or "must be issued before the socket is bound" */
    }
    if (fd_get(fd, &existing) && existing.assoc) {
        return wsa_fail(WSAEINVAL);
    }
    if (store_open(&s) != 0) {
        return wsa_fail(WSAEINVAL);
    }
    int i = find_token(&s, token);
    struct record r;
    if (i >= 0) {
        r = s.rec[i];
    }
    store_close(&s);
    if (i < 0 || r.proto != proto || (r.kind == 'r' && r.pid != (long)getpid())) {
        return wsa_fail(WSAEINVAL);
    }
    if (r.kind == 'p' && !elevated()) {
        return wsa_fail(WSAEACCES);
    }
    pthread_mutex_lock(&fds_lock);
    struct fdinfo *slot = fd_slot(fd);
    if (slot != NULL) {
        if (slot->ino != inode_of(fd)) {
            memset(slot, 0, sizeof *slot);
        }
        slot->ino = inode_of(fd);
        slot->assoc = 1;
        slot->proto = (uint8_t)proto;
        slot->start = (uint16_t)r.start;
        slot->count = r.count;
        slot->token = token;
    }
    pthread_mutex_unlock(&fds_lock);
    return slot == NULL ? wsa_fail(WSAEFAULT) : 0;
}

static int acquire(int fd, int proto, const void *in, uint32_t inlen, void *out, uint32_t outlen, uint32_t *bytes) {
    INET_PORT_RANGE range;
    INET_PORT_RESERVATION_INSTANCE instance;
    struct store s;
    if (in == NULL || out == NULL) {
        return wsa_fail(WSAEFAULT);
    }
    if (inlen < sizeof range || outlen < sizeof instance) {
        return wsa_fail(WSAEINVAL);
    }
    memcpy(&range, in, sizeof range);
    unsigned start = ntohs(range.StartPort), count = range.NumberOfPorts;
    if (count == 0 || (start != 0 && start + count - 1u > 65535u)) {
        return wsa_fail(WSAEINVAL);
    }
    if (store_open(&s) != 0) {
        return wsa_fail(WSAEINVAL);
    }
    if (start == 0) {
        for (unsigned b = ANY_BLOCK_FROM; b + count - 1u <= 65535u; b++) {
            int i = find_overlap(&s, proto, b, count);
            if (i >= 0) {
                b = s.rec[i].start + s.rec[i].count - 1u; /* skip past it */
                continue;
            }
            if (!block_in_use(proto, b, count)) {
                start = b;
                break;
            }
        }
    } else if (find_overlap(&s, proto, start, count) >= 0 || block_in_use(proto, start, count)) {
        start = 0;
    }
    if (start == 0 || s.n == MAX_RECORDS) {
        store_close(&s);
        return wsa_fail(WSAEADDRINUSE);
    }
    struct record r;
    memset(&r, 0, sizeof r);
    r.kind = 'r';
    r.proto = proto;
    r.start = start;
    r.count = count;
    r.token = new_token(&s);
    r.pid = (long)getpid();
    r.fd = fd;
    s.rec[s.n++] = r;
    store_save(&s);
    store_close(&s);
    pthread_mutex_lock(&fds_lock);
    struct fdinfo *slot = fd_slot(fd);
    if (slot != NULL) {
        if (slot->ino != inode_of(fd)) {
            memset(slot, 0, sizeof *slot);
        }
        slot->ino = inode_of(fd);
        slot->acquired = 1;
    }
    pthread_mutex_unlock(&fds_lock);
    memset(&instance, 0, sizeof instance);
    instance.Reservation.StartPort = htons((uint16_t)start);
    instance.Reservation.NumberOfPorts = (uint16_t)count;
    instance.Token.Token = r.token;
    memcpy(out, &instance, sizeof instance);
    if (bytes != NULL) {
        *bytes = sizeof instance;
    }
    return 0;
}

static int release(const void *in, uint32_t inlen) {
    struct store s;
    uint64_t token;
    if (in == NULL) {
        return wsa_fail(WSAEFAULT);
    }
    if (inlen < sizeof token) {
        return wsa_fail(WSAEINVAL);
    }
    memcpy(&token, in, sizeof token);
    if (store_open(&s) != 0) {
        return wsa_fail(WSAEINVAL);
    }
    int i = find_token(&s, token);
    int ok = i >= 0 && s.rec[i].kind == 'r' && s.rec[i].pid == (long)getpid();
    if (ok) {
        store_remove(&s, i);
        store_save(&s);
    }
    store_close(&s);
    return ok ? 0 : wsa_fail(WSAEINVAL);
}

EXPORT int WSAIoctl(uintptr_t s, uint32_t dwIoControlCode, void *lpvInBuffer, uint32_t cbInBuffer, void *lpvOutBuffer,
                    uint32_t cbOutBuffer, uint32_t *lpcbBytesReturned, void *lpOverlapped,
                    void *lpCompletionRoutine) {
    (void)lpOverlapped;
    (void)lpCompletionRoutine;
    init_real();
    int fd = (int)s;
    int proto = s > (uintptr_t)0x7fffffff ? -1 : sock_proto(fd);
    if (proto < 0) {
        return wsa_fail(WSAENOTSOCK);
    }
    if (proto == 0) {
        return wsa_fail(WSAEOPNOTSUPP);
    }
    if (lpcbBytesReturned != NULL) {
        *lpcbBytesReturned = 0;
    }
    switch (dwIoControlCode) {
        case SIO_ASSOCIATE_PORT_RESERVATION:
            return associate(fd, proto, lpvInBuffer, cbInBuffer);
        case SIO_ACQUIRE_PORT_RESERVATION:
            return acquire(fd, proto, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer, lpcbBytesReturned);
        case SIO_RELEASE_PORT_RESERVATION:
            return release(lpvInBuffer, cbInBuffer);
        default:
            return wsa_fail(WSAEINVAL);
    }
}

EXPORT int WSAGetLastError(void) {
    return wsa_last_error;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* advapi32 / kernel32: TokenElevation                                                                        */

EXPORT void *GetCurrentProcess(void) {
    return (void *)(intptr_t)-1;
}

EXPORT int OpenProcessToken(void *ProcessHandle, uint32_t DesiredAccess, void **TokenHandle) {
    (void)ProcessHandle;
    (void)DesiredAccess;
    if (TokenHandle == NULL) {
        errno = 998; /* ERROR_NOACCESS */
        return 0;
    }
    *TokenHandle = (void *)(intptr_t)0x5157;
    return 1;
}

EXPORT int GetTokenInformation(void *TokenHandle, int TokenInformationClass, void *TokenInformation,
                               uint32_t TokenInformationLength, uint32_t *ReturnLength) {
    (void)TokenHandle;
    if (TokenInformationClass != WINSIM_TOKEN_ELEVATION) {
        errno = (int)ERROR_INVALID_PARAMETER;
        return 0;
    }
    if (ReturnLength != NULL) {
        *ReturnLength = 4;
    }
    if (TokenInformation == NULL || TokenInformationLength < 4) {
        errno = 122; /* ERROR_INSUFFICIENT_BUFFER */
        return 0;
    }
    uint32_t e = elevated() ? 1u : 0u;
    memcpy(TokenInformation, &e, sizeof e);
    return 1;
}

EXPORT int CloseHandle(void *hObject) {
    (void)hObject;
    return 1;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* interposed libc functions (LD_PRELOAD)                                                                     */

static int addr_port(const struct sockaddr *addr, socklen_t len) {
    if (addr == NULL) {
        return -1;
    }
    if (addr->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        return ntohs(((const struct sockaddr_in *)addr)->sin_port);
    }
    if (addr->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        return ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
    }
    return -1;
}

static void set_port(struct sockaddr *addr, unsigned port) {
    if (addr->sa_family == AF_INET) {
        ((struct sockaddr_in *)addr)->sin_port = htons((uint16_t)port);
    } else {
        ((struct sockaddr_in6 *)addr)->sin6_port = htons((uint16_t)port);
    }
}

static int in_persistent_block(int proto, unsigned port) {
    struct store s;
    int inside = 0;
    if (store_open(&s) != 0) {
        return 0;
    }
    for (int i = 0; i < s.n; i++) {
        if (s.rec[i].kind == 'p' && overlaps(&s.rec[i], proto, port, 1)) {
            inside = 1;
        }
    }
    store_close(&s);
    return inside;
}

EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len) {
    struct fdinfo info;
    init_real();
    int port = addr_port(addr, len);
    if (port < 0) {
        return real_bind(fd, addr, len);
    }
    if (fd_get(fd, &info) && info.assoc) {
        if (port != 0) {
            if ((unsigned)port < info.start || (unsigned)port >= info.start + info.count) {
                errno = EADDRNOTAVAIL;
                return -1;
            }
            return real_bind(fd, addr, len);
        }
        struct sockaddr_storage copy;
        memset(&copy, 0, sizeof copy);
        memcpy(&copy, addr, len < (socklen_t)sizeof copy ? len : sizeof copy);
        for (unsigned p = info.start; p < info.start + info.count; p++) {
            set_port((struct sockaddr *)&copy, p);
            if (real_bind(fd, (struct sockaddr *)&copy, len) == 0) {
                return 0;
            }
            if (errno != EADDRINUSE && errno != EACCES) {
                return -1;
            }
        }
        errno = EADDRINUSE; /* the reservation is exhausted */
        return -1;
    }
    if (port != 0 && strict_mode()) {
        int proto = sock_proto(fd);
        if (proto > 0 && in_persistent_block(proto, (unsigned)port)) {
            errno = EACCES;
            return -1;
        }
    }
    return real_bind(fd, addr, len);
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    struct fdinfo info;
    int family = 0;
    init_real();
    if (addr != NULL && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) && fd_get(fd, &info)
        && info.assoc && sock_port(fd, &family) == 0) {
        struct sockaddr_storage any;
        memset(&any, 0, sizeof any);
        any.ss_family = (sa_family_t)family;
        socklen_t alen = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        if (bind(fd, (struct sockaddr *)&any, alen) != 0) {
            return -1;
        }
    }
    return real_connect(fd, addr, len);
}

EXPORT int close(int fd) {
    init_real();
    fd_forget(fd);
    return real_close(fd);
}

EXPORT int dup2(int oldfd, int newfd) {
    init_real();
    if (oldfd != newfd) {
        fd_forget(newfd);
    }
    return real_dup2(oldfd, newfd);
}

EXPORT int dup3(int oldfd, int newfd, int flags) {
    init_real();
    if (oldfd != newfd) {
        fd_forget(newfd);
    }
    return real_dup3(oldfd, newfd, flags);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* simulator controls                                                                                         */

EXPORT int winsim_reboot(void) {
    struct store s;
    if (store_open(&s) != 0) {
        return -1;
    }
    for (int i = s.n - 1; i >= 0; i--) {
        if (s.rec[i].kind == 'r') {
            store_remove(&s, i);
        }
    }
    for (int i = 0; i < s.n; i++) {
        s.rec[i].token = 0;
    }
    for (int i = 0; i < s.n; i++) {
        s.rec[i].token = new_token(&s);
    }
    s.boot++;
    store_save(&s);
    store_close(&s);
    return 0;
}

EXPORT int winsim_list(void) {
    struct store s;
    if (store_open(&s) != 0) {
        return -1;
    }
    for (int i = 0; i < s.n; i++) {
        struct record *r = &s.rec[i];
        if (r->kind == 'p') {
            printf("%s %u %u persistent 0x%016" PRIX64 "\n", proto_name(r->proto), r->start, r->count, r->token);
        } else {
            printf("%s %u %u runtime 0x%016" PRIX64 " pid %ld\n", proto_name(r->proto), r->start, r->count,
                   r->token, r->pid);
        }
    }
    fflush(stdout);
    store_close(&s);
    return s.n;
}

/* "Our bind is the process's bind" (LD_PRELOAD), as opposed to "we were only dlopen'ed": the bind that the
 * process resolves lives in this library. */
EXPORT int winsim_interposing(void) {
    Dl_info theirs, ours;
    void *b = dlsym(RTLD_DEFAULT, "bind");
    if (b == NULL || dladdr(b, &theirs) == 0 || dladdr((void *)&wsa_fail, &ours) == 0) {
        return 0;
    }
    return theirs.dli_fbase == ours.dli_fbase;
}

EXPORT const char *winsim_version(void) {
    return "portres winsim 1";
}
