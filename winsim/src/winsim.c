/*
 * portres Windows-semantics simulator, Linux front-end (test-only). See winsim.h for the exported functions and
 * docs/windows.md ("Testing the Windows backend on Linux") for how it is used.
 *
 * The rules themselves (persistent and runtime reservations, association, which port a bind gets, which error it
 * fails with) live in rules.c, which the Wine shim (shim.c) shares: see there for what each rule rests on and for
 * the switches (WINSIM_EXHAUSTED, WINSIM_OUTSIDE, WINSIM_ASSOC_AFTER_BIND, WINSIM_STRICT). This file is the Linux
 * plumbing: the Windows functions JNA binds to (ws2_32's WSAIoctl, iphlpapi's six reservation functions,
 * advapi32's TokenElevation), and bind/connect/close/dup2/dup3 interposed with LD_PRELOAD.
 * Errors of WSAIoctl are returned as on Windows (SOCKET_ERROR and WSAGetLastError()) and also left in errno, which
 * is where JNA's Native.getLastError() reads them on Linux. A failing bind sets the errno of the same meaning
 * (EADDRINUSE for WSAEADDRINUSE, ENOBUFS, EACCES, EADDRNOTAVAIL).
 */
#define _GNU_SOURCE
#include "winsim.h"
#include "rules.h"

#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

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

int resv_real_close(int fd) {
    init_real();
    return real_close(fd);
}

static __thread int wsa_last_error;

static int wsa_fail(int code) {
    wsa_last_error = code;
    errno = code;
    return SOCKET_ERROR;
}

/* the errno of the same meaning as a WSA error of the model */
static int errno_of(int wsa) {
    switch (wsa) {
        case RESV_WSAEADDRINUSE: return EADDRINUSE;
        case RESV_WSAENOBUFS: return ENOBUFS;
        case RESV_WSAEACCES: return EACCES;
        case RESV_WSAEADDRNOTAVAIL: return EADDRNOTAVAIL;
        default: return EINVAL;
    }
}

/* Whether some socket holds the port: a bind probe on the dual-stack wildcard address (TCP with SO_REUSEADDR, so
 * that only bound and listening sockets count, not connections in TIME_WAIT). */
int resv_port_in_use(int proto, unsigned port) {
    int type = proto == RESV_TCP ? SOCK_STREAM : SOCK_DGRAM;
    int s = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
    int rc, err, one = 1, zero = 0;
    init_real();
    if (s >= 0) {
        struct sockaddr_in6 a;
        memset(&a, 0, sizeof a);
        a.sin6_family = AF_INET6;
        a.sin6_port = htons((uint16_t)port);
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        if (proto == RESV_TCP) {
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
        if (proto == RESV_TCP) {
            setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        }
        rc = real_bind(s, (struct sockaddr *)&a, sizeof a);
    }
    err = errno;
    real_close(s);
    return rc != 0 && (err == EADDRINUSE || err == EACCES);
}

static ino_t inode_of(int fd) {
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) ? st.st_ino : 0;
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
    return p == IPPROTO_TCP ? RESV_TCP : p == IPPROTO_UDP ? RESV_UDP : 0;
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

static void describe(int fd, struct resv_sock *s) {
    s->handle = (uintptr_t)fd;
    s->identity = (uint64_t)inode_of(fd);
    s->proto = sock_proto(fd);
    s->bound_port = sock_port(fd, NULL);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* iphlpapi                                                                                                   */

EXPORT uint32_t CreatePersistentTcpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts, uint64_t *Token) {
    return resv_create_persistent(RESV_TCP, StartPort, NumberOfPorts, Token);
}

EXPORT uint32_t LookupPersistentTcpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts, uint64_t *Token) {
    return resv_lookup_persistent(RESV_TCP, StartPort, NumberOfPorts, Token);
}

EXPORT uint32_t DeletePersistentTcpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts) {
    return resv_delete_persistent(RESV_TCP, StartPort, NumberOfPorts);
}

EXPORT uint32_t CreatePersistentUdpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts, uint64_t *Token) {
    return resv_create_persistent(RESV_UDP, StartPort, NumberOfPorts, Token);
}

EXPORT uint32_t LookupPersistentUdpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts, uint64_t *Token) {
    return resv_lookup_persistent(RESV_UDP, StartPort, NumberOfPorts, Token);
}

EXPORT uint32_t DeletePersistentUdpPortReservation(uint16_t StartPort, uint16_t NumberOfPorts) {
    return resv_delete_persistent(RESV_UDP, StartPort, NumberOfPorts);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* ws2_32                                                                                                     */

EXPORT int WSAIoctl(uintptr_t s, uint32_t dwIoControlCode, void *lpvInBuffer, uint32_t cbInBuffer, void *lpvOutBuffer,
                    uint32_t cbOutBuffer, uint32_t *lpcbBytesReturned, void *lpOverlapped,
                    void *lpCompletionRoutine) {
    struct resv_sock sk;
    (void)lpOverlapped;
    (void)lpCompletionRoutine;
    init_real();
    if (s > (uintptr_t)0x7fffffff) {
        return wsa_fail(WSAENOTSOCK);
    }
    describe((int)s, &sk);
    if (sk.proto < 0) {
        return wsa_fail(WSAENOTSOCK);
    }
    if (sk.proto == 0) {
        return wsa_fail(WSAEOPNOTSUPP);
    }
    int rc = resv_ioctl(&sk, dwIoControlCode, lpvInBuffer, cbInBuffer, lpvOutBuffer, cbOutBuffer,
                        lpcbBytesReturned);
    return rc == 0 ? 0 : wsa_fail(rc);
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
    uint32_t e = resv_elevated() ? 1u : 0u;
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

struct bind_try {
    int fd;
    struct sockaddr_storage addr;
    socklen_t len;
};

static int try_bind(void *ctx, unsigned port) {
    struct bind_try *t = ctx;
    if (t->addr.ss_family == AF_INET) {
        ((struct sockaddr_in *)&t->addr)->sin_port = htons((uint16_t)port);
    } else {
        ((struct sockaddr_in6 *)&t->addr)->sin6_port = htons((uint16_t)port);
    }
    if (real_bind(t->fd, (struct sockaddr *)&t->addr, t->len) == 0) {
        return 0;
    }
    return errno == EADDRINUSE || errno == EACCES ? 1 : -1;
}

EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len) {
    struct resv_sock sk;
    struct bind_try t;
    init_real();
    int port = addr_port(addr, len);
    if (port < 0) {
        return real_bind(fd, addr, len);
    }
    describe(fd, &sk);
    if (sk.proto <= 0) {
        return real_bind(fd, addr, len);
    }
    t.fd = fd;
    t.len = len;
    memset(&t.addr, 0, sizeof t.addr);
    memcpy(&t.addr, addr, len < (socklen_t)sizeof t.addr ? len : sizeof t.addr);
    int rc = resv_bind(&sk, (unsigned)port, try_bind, &t);
    if (rc == RESV_BIND_PASS) {
        return real_bind(fd, addr, len);
    }
    if (rc > 0) {
        errno = errno_of(rc);
        return -1;
    }
    return rc;
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len) {
    struct resv_sock sk;
    int family = 0;
    init_real();
    if (addr != NULL && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6)) {
        describe(fd, &sk);
        if (sk.proto > 0 && resv_needs_implicit_bind(&sk) && sock_port(fd, &family) == 0) {
            struct sockaddr_storage any;
            memset(&any, 0, sizeof any);
            any.ss_family = (sa_family_t)family;
            socklen_t alen = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
            if (bind(fd, (struct sockaddr *)&any, alen) != 0) {
                return -1;
            }
        }
    }
    return real_connect(fd, addr, len);
}

EXPORT int close(int fd) {
    init_real();
    if (fd >= 0) {
        resv_forget((uintptr_t)fd);
    }
    return real_close(fd);
}

EXPORT int dup2(int oldfd, int newfd) {
    init_real();
    if (oldfd != newfd && newfd >= 0) {
        resv_forget((uintptr_t)newfd);
    }
    return real_dup2(oldfd, newfd);
}

EXPORT int dup3(int oldfd, int newfd, int flags) {
    init_real();
    if (oldfd != newfd && newfd >= 0) {
        resv_forget((uintptr_t)newfd);
    }
    return real_dup3(oldfd, newfd, flags);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* simulator controls                                                                                         */

EXPORT int winsim_reboot(void) {
    return resv_reboot();
}

EXPORT int winsim_list(void) {
    static char buf[4096 * 80];
    int n = resv_list(buf, sizeof buf);
    if (n >= 0) {
        fputs(buf, stdout);
        fflush(stdout);
    }
    return n;
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
    return resv_version();
}
