/*
 * portres reservation model (test-only): Microsoft's port-reservation rules, shared by the Linux simulator
 * (winsim.c) and the Wine shim (shim.c). See rules.h for the switches.
 *
 * Sources the rules rest on (cited as [n] below):
 *  [1] SIO_ASSOCIATE_PORT_RESERVATION: https://learn.microsoft.com/windows/win32/winsock/sio-associate-port-reservation
 *      "must be issued before the socket is bound. If and when the socket is bound, the port assigned to it will be
 *      selected from the port reservation identified by the given token. If no ports are available from the
 *      specified reservation, the bind function call will fail." (which error: not said)
 *  [2] SIO_ACQUIRE_PORT_RESERVATION: https://learn.microsoft.com/windows/win32/winsock/sio-acquire-port-reservation
 *      runtime reservation for a block; StartPort 0 = any free block (wildcard); belongs to the socket, ends with
 *      SIO_RELEASE_PORT_RESERVATION or when the socket is closed; "a runtime port reservation ... can be used only by
 *      the application that obtained it" (the token, through SIO_ASSOCIATE, by that process).
 *  [3] CreatePersistentTcpPortReservation: https://learn.microsoft.com/windows/win32/api/iphlpapi/nf-iphlpapi-createpersistenttcpportreservation
 *      ERROR_ACCESS_DENIED without administrative privileges (elevation); ERROR_INVALID_PARAMETER for 0 or a block
 *      past 65535; ERROR_SHARING_VIOLATION when a port of the block is in use or the block overlaps a persistent one.
 *      The Udp variants read the same for UDP.
 *  [4] LookupPersistentTcpPortReservation: https://learn.microsoft.com/windows/win32/api/iphlpapi/nf-iphlpapi-lookuppersistenttcpportreservation
 *      exact StartPort and NumberOfPorts, else ERROR_NOT_FOUND; the token of a persistent reservation
 *      (tokens are not stable across reboots: they are re-issued by the TCP/IP stack at boot).
 *  [5] DeletePersistentTcpPortReservation: https://learn.microsoft.com/windows/win32/api/iphlpapi/nf-iphlpapi-deletepersistenttcpportreservation
 *      ERROR_ACCESS_DENIED without elevation, ERROR_NOT_FOUND for an unknown block.
 *  [6] msquic #2891 and #5795 (https://github.com/microsoft/msquic/issues/2891, .../5795): acquiring a runtime
 *      reservation that overlaps one already held fails with WSAEADDRINUSE.
 *  [7] Field reports, and KB 3039044 (https://support.microsoft.com/help/3039044): an explicit bind by ANOTHER
 *      process (a socket not associated with the reservation) to a port inside a reserved/excluded range fails
 *      with WSAEACCES (10013), "An attempt was made to access a socket in a way forbidden by its access
 *      permissions".
 * ASSUMPTIONS (nothing documents them; switchable, see rules.h): the error of a port-0 bind when the block is full
 * (A1, WINSIM_EXHAUSTED), the error for a specific port outside the associated block (A2, WINSIM_OUTSIDE), the
 * answer to SIO_ASSOCIATE after bind beyond "must be issued before" (A3, WINSIM_ASSOC_AFTER_BIND), and strict
 * mode for unassociated binds into a persistent block (A4, WINSIM_STRICT; one Microsoft document claims it,
 * field reports say Windows lets such binds through, which is the default).
 */
#ifdef _WIN32
#define __USE_MINGW_ANSI_STDIO 1
#define _CRT_RAND_S
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#else
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>
#endif
#include "rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RECORDS 4096
#define ANY_BLOCK_FROM 61000u
#define STORE_TEXT_MAX (MAX_RECORDS * 80 + 64)

/* ---------------------------------------------------------------------------------------------------------- */
/* platform: the store file (locked for each operation), random tokens, process liveness, a lock              */

#ifdef _WIN32
typedef HANDLE store_handle;
static const store_handle NO_STORE = INVALID_HANDLE_VALUE;
static CRITICAL_SECTION state_cs;
static INIT_ONCE state_once = INIT_ONCE_STATIC_INIT;
static BOOL CALLBACK init_cs(PINIT_ONCE once, PVOID p, PVOID *ctx) {
    (void)once; (void)p; (void)ctx;
    InitializeCriticalSection(&state_cs);
    return TRUE;
}
static void state_lock(void) { InitOnceExecuteOnce(&state_once, init_cs, NULL, NULL); EnterCriticalSection(&state_cs); }
static void state_unlock(void) { LeaveCriticalSection(&state_cs); }
static long my_pid(void) { return (long)GetCurrentProcessId(); }
static int alive(long pid) {
    HANDLE h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, (DWORD)pid);
    DWORD code = 0;
    if (h == NULL) {
        return GetLastError() == ERROR_ACCESS_DENIED;
    }
    BOOL ok = GetExitCodeProcess(h, &code);
    CloseHandle(h);
    return ok && code == STILL_ACTIVE;
}
static int random64(uint64_t *t) {
    unsigned int a, b;
    if (rand_s(&a) != 0 || rand_s(&b) != 0) {
        return -1;
    }
    *t = ((uint64_t)a << 32) | b;
    return 0;
}
static store_handle store_lock_open(const char *path) {
    OVERLAPPED o;
    HANDLE h = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_ALWAYS,
                           FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        return h;
    }
    memset(&o, 0, sizeof o);
    if (!LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK, 0, MAXDWORD, MAXDWORD, &o)) {
        CloseHandle(h);
        return INVALID_HANDLE_VALUE;
    }
    return h;
}
static int store_read_text(store_handle h, char *buf, int cap) {
    DWORD n = 0, total = 0;
    SetFilePointer(h, 0, NULL, FILE_BEGIN);
    while (total < (DWORD)cap - 1 && ReadFile(h, buf + total, (DWORD)cap - 1 - total, &n, NULL) && n > 0) {
        total += n;
    }
    buf[total] = '\0';
    return (int)total;
}
static void store_write_text(store_handle h, const char *buf, int len) {
    DWORD n = 0;
    SetFilePointer(h, 0, NULL, FILE_BEGIN);
    SetEndOfFile(h);
    WriteFile(h, buf, (DWORD)len, &n, NULL);
}
static void store_unlock_close(store_handle h) {
    OVERLAPPED o;
    memset(&o, 0, sizeof o);
    UnlockFileEx(h, 0, MAXDWORD, MAXDWORD, &o);
    CloseHandle(h);
}
static const char *default_store(void) { return "C:\\portres-winsim.store"; }
#else
typedef int store_handle;
static const store_handle NO_STORE = -1;
static pthread_mutex_t state_mutex = PTHREAD_MUTEX_INITIALIZER;
static void state_lock(void) { pthread_mutex_lock(&state_mutex); }
static void state_unlock(void) { pthread_mutex_unlock(&state_mutex); }
static long my_pid(void) { return (long)getpid(); }
static int alive(long pid) { return kill((pid_t)pid, 0) == 0 || errno != ESRCH; }
static int random64(uint64_t *t) { return getrandom(t, sizeof *t, 0) == (ssize_t)sizeof *t ? 0 : -1; }
/* close() is interposed by winsim.c: its own file descriptors go through the real one */
extern int resv_real_close(int fd);
static store_handle store_lock_open(const char *path) {
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
        resv_real_close(fd);
        return -1;
    }
    return fd;
}
static int store_read_text(store_handle fd, char *buf, int cap) {
    int total = 0;
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while (total < cap - 1 && (n = read(fd, buf + total, (size_t)(cap - 1 - total))) > 0) {
        total += (int)n;
    }
    buf[total] = '\0';
    return total;
}
static void store_write_text(store_handle fd, const char *buf, int len) {
    if (ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0 && write(fd, buf, (size_t)len) != len) {
        return;
    }
}
static void store_unlock_close(store_handle fd) {
    flock(fd, LOCK_UN);
    resv_real_close(fd);
}
static const char *default_store(void) { return "/tmp/portres-winsim.store"; }
#endif

static int env_is(const char *name, const char *value, int dflt) {
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        return dflt;
    }
    return strcmp(v, value) == 0;
}

static int env_flag(const char *name) {
    const char *v = getenv(name);
    return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

int resv_elevated(void) {
    return env_flag("WINSIM_ELEVATED");
}

static const char *proto_name(int proto) {
    return proto == RESV_TCP ? "tcp" : "udp";
}

/* ---------------------------------------------------------------------------------------------------------- */
/* the store: persistent reservations of the "machine", runtime reservations of live processes                */

struct record {
    char kind; /* 'p' persistent, 'r' runtime */
    int proto;
    unsigned start;
    unsigned count;
    uint64_t token;
    long pid;            /* runtime: owning process */
    unsigned long long sock; /* runtime: acquiring socket */
};

struct store {
    store_handle h;
    unsigned boot;
    int n;
    struct record rec[MAX_RECORDS];
};

static char store_text[STORE_TEXT_MAX]; /* used under state_lock only */

static const char *store_path(void) {
    const char *p = getenv("WINSIM_STORE");
    return p != NULL && *p != '\0' ? p : default_store();
}

/* Opens and locks the store and reads it; runtime reservations of processes that have exited are dropped ([2]:
 * they end with the socket, and so with the process). The caller holds state_lock. */
static int store_open(struct store *s) {
    s->n = 0;
    s->boot = 0;
    s->h = store_lock_open(store_path());
    if (s->h == NO_STORE) {
        return -1;
    }
    store_read_text(s->h, store_text, sizeof store_text);
    for (char *line = store_text, *next; line != NULL && *line != '\0' && s->n < MAX_RECORDS; line = next) {
        struct record r;
        char kind[4], proto[8];
        unsigned long long token;
        next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        memset(&r, 0, sizeof r);
        if (sscanf(line, "boot %u", &s->boot) == 1) {
            continue;
        }
        int k = sscanf(line, "%3s %7s %u %u %llx %ld %llu", kind, proto, &r.start, &r.count, &token, &r.pid, &r.sock);
        if (k < 5 || (kind[0] != 'p' && kind[0] != 'r')) {
            continue;
        }
        r.kind = kind[0];
        r.proto = strcmp(proto, "udp") == 0 ? RESV_UDP : RESV_TCP;
        r.token = (uint64_t)token;
        if (r.kind == 'r' && (k < 7 || !alive(r.pid))) {
            continue;
        }
        s->rec[s->n++] = r;
    }
    return 0;
}

static void store_save(struct store *s) {
    int len = snprintf(store_text, sizeof store_text, "boot %u\n", s->boot);
    for (int i = 0; i < s->n && len < (int)sizeof store_text - 100; i++) {
        struct record *r = &s->rec[i];
        if (r->kind == 'p') {
            len += snprintf(store_text + len, sizeof store_text - (size_t)len, "p %s %u %u %016" PRIX64 "\n",
                            proto_name(r->proto), r->start, r->count, r->token);
        } else {
            len += snprintf(store_text + len, sizeof store_text - (size_t)len, "r %s %u %u %016" PRIX64 " %ld %llu\n",
                            proto_name(r->proto), r->start, r->count, r->token, r->pid, r->sock);
        }
    }
    store_write_text(s->h, store_text, len);
}

static void store_close(struct store *s) {
    if (s->h != NO_STORE) {
        store_unlock_close(s->h);
        s->h = NO_STORE;
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
        if (random64(&t) != 0) {
            t = ((uint64_t)rand() << 32) ^ (uint64_t)rand() ^ (uint64_t)my_pid();
        }
    }
    return t;
}

static int block_in_use(int proto, unsigned start, unsigned count) {
    for (unsigned p = start; p < start + count; p++) {
        if (resv_port_in_use(proto, p)) {
            return 1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* per-socket state of this process: associations and acquired runtime reservations                          */

struct sockinfo {
    uintptr_t handle;
    uint64_t identity;
    uint8_t used;
    uint8_t assoc;    /* associated with a reservation */
    uint8_t acquired; /* a runtime reservation was acquired on this socket */
    uint8_t proto;
    uint16_t start;
    uint32_t count;
    uint64_t token;
};

#define MAX_SOCKETS 4096
static struct sockinfo socks[MAX_SOCKETS]; /* under state_lock */

static struct sockinfo *sock_find(uintptr_t handle) {
    for (int i = 0; i < MAX_SOCKETS; i++) {
        if (socks[i].used && socks[i].handle == handle) {
            return &socks[i];
        }
    }
    return NULL;
}

/* The state of s, or NULL (none, or the handle now names another socket: a reused fd number). */
static struct sockinfo *sock_get(const struct resv_sock *s) {
    struct sockinfo *i = sock_find(s->handle);
    if (i != NULL && i->identity != s->identity) {
        memset(i, 0, sizeof *i);
        return NULL;
    }
    return i;
}

static struct sockinfo *sock_slot(const struct resv_sock *s) {
    struct sockinfo *i = sock_get(s);
    for (int k = 0; i == NULL && k < MAX_SOCKETS; k++) {
        if (!socks[k].used) {
            i = &socks[k];
            memset(i, 0, sizeof *i);
            i->used = 1;
            i->handle = s->handle;
            i->identity = s->identity;
        }
    }
    return i;
}

static void release_runtime_of(long pid, uintptr_t sock) {
    struct store s;
    if (store_open(&s) != 0) {
        return;
    }
    for (int i = s.n - 1; i >= 0; i--) {
        if (s.rec[i].kind == 'r' && s.rec[i].pid == pid && s.rec[i].sock == (unsigned long long)sock) {
            store_remove(&s, i);
        }
    }
    store_save(&s);
    store_close(&s);
}

void resv_forget(uintptr_t handle) {
    int acquired = 0;
    state_lock();
    struct sockinfo *i = sock_find(handle);
    if (i != NULL) {
        acquired = i->acquired;
        memset(i, 0, sizeof *i);
    }
    if (acquired) {
        release_runtime_of(my_pid(), handle); /* [2]: a runtime reservation ends when its socket is closed */
    }
    state_unlock();
}

/* ---------------------------------------------------------------------------------------------------------- */
/* iphlpapi: persistent reservations                                                                          */

uint32_t resv_create_persistent(int proto, uint16_t start_net, uint16_t count, uint64_t *token) {
    unsigned start = ntohs(start_net);
    struct store s;
    if (start == 0 || count == 0 || start + count - 1u > 65535u || token == NULL) {
        return ERROR_INVALID_PARAMETER; /* [3] */
    }
    if (!resv_elevated()) {
        return ERROR_ACCESS_DENIED; /* [3] */
    }
    state_lock();
    uint32_t rc = NO_ERROR;
    if (store_open(&s) != 0) {
        rc = ERROR_ACCESS_DENIED;
    } else if (find_overlap(&s, proto, start, count) >= 0 || block_in_use(proto, start, count)
               || s.n == MAX_RECORDS) {
        rc = ERROR_SHARING_VIOLATION; /* [3]: overlaps a reservation, or a port of the block is in use */
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
    state_unlock();
    return rc;
}

uint32_t resv_lookup_persistent(int proto, uint16_t start_net, uint16_t count, uint64_t *token) {
    unsigned start = ntohs(start_net);
    struct store s;
    if (start == 0 || count == 0 || token == NULL) {
        return ERROR_INVALID_PARAMETER;
    }
    state_lock();
    uint32_t rc = ERROR_NOT_FOUND;
    if (store_open(&s) == 0) {
        for (int i = 0; i < s.n; i++) {
            struct record *r = &s.rec[i];
            if (r->kind == 'p' && r->proto == proto && r->start == start && r->count == count) {
                *token = r->token; /* [4]: the exact block only */
                rc = NO_ERROR;
            }
        }
    }
    store_close(&s);
    state_unlock();
    return rc;
}

uint32_t resv_delete_persistent(int proto, uint16_t start_net, uint16_t count) {
    unsigned start = ntohs(start_net);
    struct store s;
    if (start == 0 || count == 0) {
        return ERROR_INVALID_PARAMETER; /* [5] */
    }
    if (!resv_elevated()) {
        return ERROR_ACCESS_DENIED; /* [5] */
    }
    state_lock();
    uint32_t rc = ERROR_NOT_FOUND;
    if (store_open(&s) == 0) {
        for (int i = s.n - 1; i >= 0; i--) {
            struct record *r = &s.rec[i];
            if (r->kind == 'p' && r->proto == proto && r->start == start && r->count == count) {
                store_remove(&s, i);
                rc = NO_ERROR;
            }
        }
        store_save(&s);
    }
    store_close(&s);
    state_unlock();
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* ws2_32: the three IOCTLs                                                                                   */

/* The INET_PORT_RESERVATION_TOKEN of an input buffer: 0, or a WSA error. */
static int token_in(const void *in, uint32_t inlen, uint64_t *token) {
    if (in == NULL) {
        return RESV_WSAEFAULT;
    }
    if (inlen < sizeof *token) {
        return RESV_WSAEINVAL;
    }
    memcpy(token, in, sizeof *token);
    return 0;
}

static int associate(const struct resv_sock *sk, const void *in, uint32_t inlen) {
    struct store s;
    struct sockinfo *existing;
    uint64_t token;
    int bad = token_in(in, inlen, &token);
    if (bad != 0) {
        return bad;
    }
    if (token == 0) {
        return RESV_WSAEINVAL;
    }
    if (sk->bound_port > 0) {
        /* [1] "must be issued before the socket is bound"; the answer when it is not: A3 */
        return env_is("WINSIM_ASSOC_AFTER_BIND", "ignore", 0) ? 0 : RESV_WSAEINVAL;
    }
    existing = sock_get(sk);
    if (existing != NULL && existing->assoc) {
        return RESV_WSAEINVAL;
    }
    if (store_open(&s) != 0) {
        return RESV_WSAEINVAL;
    }
    int i = find_token(&s, token);
    struct record r;
    memset(&r, 0, sizeof r);
    if (i >= 0) {
        r = s.rec[i];
    }
    store_close(&s);
    /* an unknown token (a stale one: tokens change at reboot [4]), one of the other protocol, or another
     * process's runtime token ([2]: usable only by the application that obtained it) */
    if (i < 0 || r.proto != sk->proto || (r.kind == 'r' && r.pid != my_pid())) {
        return RESV_WSAEINVAL;
    }
    if (r.kind == 'p' && !resv_elevated()) {
        return RESV_WSAEACCES; /* persistent reservations are the administrator's ([3]) */
    }
    struct sockinfo *slot = sock_slot(sk);
    if (slot == NULL) {
        return RESV_WSAENOBUFS;
    }
    slot->assoc = 1;
    slot->proto = (uint8_t)sk->proto;
    slot->start = (uint16_t)r.start;
    slot->count = r.count;
    slot->token = token;
    return 0;
}

static int acquire(const struct resv_sock *sk, const void *in, uint32_t inlen, void *out, uint32_t outlen,
                   uint32_t *bytes) {
    uint16_t range[2]; /* INET_PORT_RANGE: StartPort (network order), NumberOfPorts */
    unsigned char instance[16]; /* INET_PORT_RESERVATION_INSTANCE: range, 4 bytes padding, ULONG64 token */
    struct store s;
    if (in == NULL || out == NULL) {
        return RESV_WSAEFAULT;
    }
    if (inlen < sizeof range || outlen < sizeof instance) {
        return RESV_WSAEINVAL;
    }
    memcpy(range, in, sizeof range);
    unsigned start = ntohs(range[0]), count = range[1];
    if (count == 0 || (start != 0 && start + count - 1u > 65535u)) {
        return RESV_WSAEINVAL;
    }
    if (store_open(&s) != 0) {
        return RESV_WSAEINVAL;
    }
    if (start == 0) { /* [2]: the wildcard request, any free block */
        for (unsigned b = ANY_BLOCK_FROM; b + count - 1u <= 65535u; b++) {
            int i = find_overlap(&s, sk->proto, b, count);
            if (i >= 0) {
                b = s.rec[i].start + s.rec[i].count - 1u; /* skip past it */
                continue;
            }
            if (!block_in_use(sk->proto, b, count)) {
                start = b;
                break;
            }
        }
    } else if (find_overlap(&s, sk->proto, start, count) >= 0 || block_in_use(sk->proto, start, count)) {
        start = 0; /* [6]: an overlapping acquire fails with WSAEADDRINUSE */
    }
    if (start == 0 || s.n == MAX_RECORDS) {
        store_close(&s);
        return RESV_WSAEADDRINUSE; /* [6] */
    }
    struct record r;
    memset(&r, 0, sizeof r);
    r.kind = 'r';
    r.proto = sk->proto;
    r.start = start;
    r.count = count;
    r.token = new_token(&s);
    r.pid = my_pid();
    r.sock = (unsigned long long)sk->handle;
    s.rec[s.n++] = r;
    store_save(&s);
    store_close(&s);
    struct sockinfo *slot = sock_slot(sk);
    if (slot != NULL) {
        slot->acquired = 1;
    }
    uint16_t out_range[2] = {htons((uint16_t)start), (uint16_t)count};
    memset(instance, 0, sizeof instance);
    memcpy(instance, out_range, sizeof out_range);
    memcpy(instance + 8, &r.token, sizeof r.token);
    memcpy(out, instance, sizeof instance);
    if (bytes != NULL) {
        *bytes = sizeof instance;
    }
    return 0;
}

static int release(const void *in, uint32_t inlen) {
    struct store s;
    uint64_t token;
    int bad = token_in(in, inlen, &token);
    if (bad != 0) {
        return bad;
    }
    if (store_open(&s) != 0) {
        return RESV_WSAEINVAL;
    }
    int i = find_token(&s, token);
    int ok = i >= 0 && s.rec[i].kind == 'r' && s.rec[i].pid == my_pid(); /* [2] */
    if (ok) {
        store_remove(&s, i);
        store_save(&s);
    }
    store_close(&s);
    return ok ? 0 : RESV_WSAEINVAL;
}

int resv_ioctl(const struct resv_sock *s, uint32_t code, const void *in, uint32_t inlen, void *out,
               uint32_t outlen, uint32_t *bytes) {
    int rc;
    if (bytes != NULL) {
        *bytes = 0;
    }
    state_lock();
    switch (code) {
        case RESV_SIO_ASSOCIATE_PORT_RESERVATION:
            rc = associate(s, in, inlen);
            break;
        case RESV_SIO_ACQUIRE_PORT_RESERVATION:
            rc = acquire(s, in, inlen, out, outlen, bytes);
            break;
        case RESV_SIO_RELEASE_PORT_RESERVATION:
            rc = release(in, inlen);
            break;
        default:
            rc = RESV_WSAEINVAL;
    }
    state_unlock();
    return rc;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* bind and connect                                                                                           */

/* Who holds port: 'p' a persistent block, 'o' another process's runtime block, 0 nobody. */
static char reserved_by(int proto, unsigned port) {
    struct store s;
    char who = 0;
    if (store_open(&s) != 0) {
        return 0;
    }
    for (int i = 0; i < s.n; i++) {
        struct record *r = &s.rec[i];
        if (overlaps(r, proto, port, 1)) {
            if (r->kind == 'r' && r->pid != my_pid()) {
                who = 'o';
            } else if (r->kind == 'p' && who == 0) {
                who = 'p';
            }
        }
    }
    store_close(&s);
    return who;
}

static int exhausted_error(void) {
    if (env_is("WINSIM_EXHAUSTED", "nobufs", 0)) {
        return RESV_WSAENOBUFS; /* what Windows answers when its ephemeral ports run out */
    }
    if (env_is("WINSIM_EXHAUSTED", "acces", 0)) {
        return RESV_WSAEACCES;
    }
    return RESV_WSAEADDRINUSE;
}

int resv_bind(const struct resv_sock *sk, unsigned port, resv_try_bind try_bind, void *ctx) {
    struct sockinfo info;
    int have = 0;
    state_lock();
    struct sockinfo *i = sock_get(sk);
    if (i != NULL && i->assoc) {
        info = *i;
        have = 1;
    }
    state_unlock();
    if (have) {
        if (port != 0) {
            if (port < info.start || port >= info.start + info.count) {
                /* A2: a specific port outside the associated block */
                if (env_is("WINSIM_OUTSIDE", "allow", 0)) {
                    return RESV_BIND_PASS;
                }
                return env_is("WINSIM_OUTSIDE", "acces", 0) ? RESV_WSAEACCES : RESV_WSAEADDRNOTAVAIL;
            }
            return RESV_BIND_PASS;
        }
        /* [1]: the port is selected from the reservation; none free: the bind fails (A1: with which error) */
        for (unsigned p = info.start; p < info.start + info.count; p++) {
            int rc = try_bind(ctx, p);
            if (rc <= 0) {
                return rc;
            }
        }
        return exhausted_error();
    }
    if (port != 0) {
        state_lock();
        char who = reserved_by(sk->proto, port);
        state_unlock();
        if (who == 'o') {
            return RESV_WSAEACCES; /* [7]: another process's runtime reservation */
        }
        if (who == 'p' && env_flag("WINSIM_STRICT")) {
            return RESV_WSAEACCES; /* A4 */
        }
    }
    return RESV_BIND_PASS;
}

int resv_needs_implicit_bind(const struct resv_sock *s) {
    state_lock();
    struct sockinfo *i = sock_get(s);
    int yes = i != NULL && i->assoc && s->bound_port == 0;
    state_unlock();
    return yes;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* controls                                                                                                   */

int resv_reboot(void) {
    struct store s;
    state_lock();
    if (store_open(&s) != 0) {
        state_unlock();
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
        s.rec[i].token = new_token(&s); /* [4]: tokens are re-issued at boot */
    }
    s.boot++;
    store_save(&s);
    store_close(&s);
    state_unlock();
    return 0;
}

int resv_list(char *buf, int cap) {
    struct store s;
    int len = 0;
    state_lock();
    if (store_open(&s) != 0) {
        state_unlock();
        return -1;
    }
    buf[0] = '\0';
    for (int i = 0; i < s.n && len < cap - 80; i++) {
        struct record *r = &s.rec[i];
        if (r->kind == 'p') {
            len += snprintf(buf + len, (size_t)(cap - len), "%s %u %u persistent 0x%016" PRIX64 "\n",
                            proto_name(r->proto), r->start, r->count, r->token);
        } else {
            len += snprintf(buf + len, (size_t)(cap - len), "%s %u %u runtime 0x%016" PRIX64 " pid %ld\n",
                            proto_name(r->proto), r->start, r->count, r->token, r->pid);
        }
    }
    int n = s.n;
    store_close(&s);
    state_unlock();
    return n;
}

const char *resv_version(void) {
    return "portres winsim 2";
}
