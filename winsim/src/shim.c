/*
 * portres reservation shim for a Windows JVM under Wine (test-only; mingw-w64). Wine has no port reservations:
 * WSAIoctl answers WSAEOPNOTSUPP for SIO_ACQUIRE/RELEASE/ASSOCIATE_PORT_RESERVATION, and its iphlpapi does not
 * export the six *Persistent{Tcp,Udp}PortReservation functions. Loaded with -agentpath: (before net.dll and
 * nio.dll exist), this DLL rewrites the export tables of ws2_32, iphlpapi and advapi32 inside the process, so that
 *  - the JDK's net.dll and nio.dll, when they load, import our bind, connect and closesocket;
 *  - JNA (the portres agent loading "ws2_32"/"iphlpapi"/"advapi32" by name, the production path, unchanged) finds
 *    our WSAIoctl, the six reservation functions and a GetTokenInformation that answers TokenElevation from
 *    WINSIM_ELEVATED.
 * The rules are rules.c, the same source as the Linux simulator's (winsim.c); this file is only the plumbing.
 * Everything else (other WSAIoctl codes, other token classes) goes to Wine's functions.
 *
 * How an export is redirected: an export is a 32-bit RVA from the DLL's base, so each hook gets a 14-byte jump
 * (jmp [rip]; .quad target) in memory allocated just above the DLL's image, and a new export directory (in the same
 * memory: old entries, forwarder strings copied, our names merged in sorted order) replaces the old one in the
 * DLL's header. Wine's GetProcAddress and import resolution read the directory from the header at each call.
 */
#define __USE_MINGW_ANSI_STDIO 1
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

#define EXPORT __declspec(dllexport)

static int (WSAAPI *real_bind)(SOCKET, const struct sockaddr *, int);
static int (WSAAPI *real_connect)(SOCKET, const struct sockaddr *, int);
static int (WSAAPI *real_closesocket)(SOCKET);
static int (WSAAPI *real_WSAIoctl)(SOCKET, DWORD, LPVOID, DWORD, LPVOID, DWORD, LPDWORD, LPWSAOVERLAPPED,
                                   LPWSAOVERLAPPED_COMPLETION_ROUTINE);
static BOOL (WINAPI *real_GetTokenInformation)(HANDLE, TOKEN_INFORMATION_CLASS, LPVOID, DWORD, PDWORD);

/* ---------------------------------------------------------------------------------------------------------- */
/* platform function of rules.c                                                                               */

int resv_port_in_use(int proto, unsigned port) {
    int type = proto == RESV_TCP ? SOCK_STREAM : SOCK_DGRAM;
    SOCKET s = socket(AF_INET6, type, 0);
    DWORD zero = 0;
    int rc, err;
    if (s == INVALID_SOCKET) {
        return 0;
    }
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons((u_short)port);
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&zero, sizeof zero);
    rc = real_bind(s, (struct sockaddr *)&a, sizeof a);
    err = WSAGetLastError();
    real_closesocket(s);
    return rc != 0 && (err == WSAEADDRINUSE || err == WSAEACCES);
}

/* ---------------------------------------------------------------------------------------------------------- */
/* the hooks                                                                                                  */

static void describe(SOCKET s, struct resv_sock *sk) {
    int type = 0, len = sizeof type;
    struct sockaddr_storage a;
    int alen = sizeof a;
    sk->handle = (uintptr_t)s;
    sk->identity = 0; /* closesocket is hooked: every close is seen */
    sk->proto = getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len) != 0 ? -1
              : type == SOCK_STREAM ? RESV_TCP : type == SOCK_DGRAM ? RESV_UDP : 0;
    sk->bound_port = 0;
    memset(&a, 0, sizeof a);
    if (getsockname(s, (struct sockaddr *)&a, &alen) == 0) {
        if (a.ss_family == AF_INET) {
            sk->bound_port = ntohs(((struct sockaddr_in *)&a)->sin_port);
        } else if (a.ss_family == AF_INET6) {
            sk->bound_port = ntohs(((struct sockaddr_in6 *)&a)->sin6_port);
        }
    }
}

static int addr_port(const struct sockaddr *addr, int len) {
    if (addr == NULL) {
        return -1;
    }
    if (addr->sa_family == AF_INET && len >= (int)sizeof(struct sockaddr_in)) {
        return ntohs(((const struct sockaddr_in *)addr)->sin_port);
    }
    if (addr->sa_family == AF_INET6 && len >= (int)sizeof(struct sockaddr_in6)) {
        return ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
    }
    return -1;
}

struct bind_try {
    SOCKET s;
    struct sockaddr_storage addr;
    int len;
};

static int try_bind(void *ctx, unsigned port) {
    struct bind_try *t = ctx;
    if (t->addr.ss_family == AF_INET) {
        ((struct sockaddr_in *)&t->addr)->sin_port = htons((u_short)port);
    } else {
        ((struct sockaddr_in6 *)&t->addr)->sin6_port = htons((u_short)port);
    }
    if (real_bind(t->s, (struct sockaddr *)&t->addr, t->len) == 0) {
        return 0;
    }
    int e = WSAGetLastError();
    return e == WSAEADDRINUSE || e == WSAEACCES ? 1 : -1;
}

static int WSAAPI hook_bind(SOCKET s, const struct sockaddr *addr, int len) {
    struct resv_sock sk;
    struct bind_try t;
    int port = addr_port(addr, len);
    if (port < 0) {
        return real_bind(s, addr, len);
    }
    describe(s, &sk);
    if (sk.proto <= 0) {
        return real_bind(s, addr, len);
    }
    t.s = s;
    t.len = len;
    memset(&t.addr, 0, sizeof t.addr);
    memcpy(&t.addr, addr, len < (int)sizeof t.addr ? (size_t)len : sizeof t.addr);
    int rc = resv_bind(&sk, (unsigned)port, try_bind, &t);
    if (rc == RESV_BIND_PASS) {
        return real_bind(s, addr, len);
    }
    if (rc > 0) {
        WSASetLastError(rc);
        return SOCKET_ERROR;
    }
    return rc;
}

static int WSAAPI hook_connect(SOCKET s, const struct sockaddr *addr, int len) {
    struct resv_sock sk;
    if (addr != NULL && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6)) {
        describe(s, &sk);
        if (sk.proto > 0 && resv_needs_implicit_bind(&sk)) {
            struct sockaddr_storage any;
            memset(&any, 0, sizeof any);
            any.ss_family = addr->sa_family;
            int alen = addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
            if (hook_bind(s, (struct sockaddr *)&any, alen) != 0) {
                return SOCKET_ERROR;
            }
        }
    }
    return real_connect(s, addr, len);
}

static int WSAAPI hook_closesocket(SOCKET s) {
    resv_forget((uintptr_t)s);
    return real_closesocket(s);
}

static int WSAAPI hook_WSAIoctl(SOCKET s, DWORD code, LPVOID in, DWORD inlen, LPVOID out, DWORD outlen,
                                LPDWORD bytes, LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE done) {
    struct resv_sock sk;
    if (code != RESV_SIO_ACQUIRE_PORT_RESERVATION && code != RESV_SIO_RELEASE_PORT_RESERVATION
        && code != RESV_SIO_ASSOCIATE_PORT_RESERVATION) {
        return real_WSAIoctl(s, code, in, inlen, out, outlen, bytes, ov, done);
    }
    describe(s, &sk);
    if (sk.proto < 0) {
        WSASetLastError(WSAENOTSOCK);
        return SOCKET_ERROR;
    }
    if (sk.proto == 0) {
        WSASetLastError(WSAEOPNOTSUPP);
        return SOCKET_ERROR;
    }
    uint32_t n = 0;
    int rc = resv_ioctl(&sk, code, in, inlen, out, outlen, &n);
    if (bytes != NULL) {
        *bytes = n;
    }
    if (rc != 0) {
        WSASetLastError(rc);
        return SOCKET_ERROR;
    }
    return 0;
}

static ULONG WINAPI hook_CreatePersistentTcpPortReservation(USHORT start, USHORT count, PULONG64 token) {
    return resv_create_persistent(RESV_TCP, start, count, (uint64_t *)token);
}
static ULONG WINAPI hook_LookupPersistentTcpPortReservation(USHORT start, USHORT count, PULONG64 token) {
    return resv_lookup_persistent(RESV_TCP, start, count, (uint64_t *)token);
}
static ULONG WINAPI hook_DeletePersistentTcpPortReservation(USHORT start, USHORT count) {
    return resv_delete_persistent(RESV_TCP, start, count);
}
static ULONG WINAPI hook_CreatePersistentUdpPortReservation(USHORT start, USHORT count, PULONG64 token) {
    return resv_create_persistent(RESV_UDP, start, count, (uint64_t *)token);
}
static ULONG WINAPI hook_LookupPersistentUdpPortReservation(USHORT start, USHORT count, PULONG64 token) {
    return resv_lookup_persistent(RESV_UDP, start, count, (uint64_t *)token);
}
static ULONG WINAPI hook_DeletePersistentUdpPortReservation(USHORT start, USHORT count) {
    return resv_delete_persistent(RESV_UDP, start, count);
}

static BOOL WINAPI hook_GetTokenInformation(HANDLE token, TOKEN_INFORMATION_CLASS cls, LPVOID info, DWORD len,
                                            PDWORD ret) {
    if (cls != TokenElevation || getenv("WINSIM_ELEVATED") == NULL) {
        return real_GetTokenInformation(token, cls, info, len, ret);
    }
    if (ret != NULL) {
        *ret = sizeof(DWORD);
    }
    if (info == NULL || len < sizeof(DWORD)) {
        SetLastError(ERROR_INSUFFICIENT_BUFFER);
        return FALSE;
    }
    DWORD e = resv_elevated() ? 1 : 0;
    memcpy(info, &e, sizeof e);
    return TRUE;
}

/* ---------------------------------------------------------------------------------------------------------- */
/* export-table rewriting                                                                                     */

struct hook {
    const char *name;
    void *fn;
    void **real; /* may be NULL: a function Wine does not have */
};

/* Memory within 4 GB above the image: export RVAs are 32-bit and unsigned. */
static unsigned char *alloc_above(unsigned char *base, DWORD image_size, size_t size) {
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    uintptr_t step = si.dwAllocationGranularity;
    uintptr_t addr = ((uintptr_t)base + image_size + step - 1) & ~(step - 1);
    for (; addr < (uintptr_t)base + 0xF0000000u; addr += step) {
        MEMORY_BASIC_INFORMATION mbi;
        if (VirtualQuery((void *)addr, &mbi, sizeof mbi) == 0) {
            return NULL;
        }
        if (mbi.State == MEM_FREE) {
            void *p = VirtualAlloc((void *)addr, size, MEM_RESERVE | MEM_COMMIT, PAGE_EXECUTE_READWRITE);
            if (p != NULL) {
                return p;
            }
        }
    }
    return NULL;
}

static unsigned char *sort_base;
struct name_entry {
    DWORD rva;
    WORD ordinal;
};
static int by_name(const void *a, const void *b) {
    return strcmp((const char *)sort_base + ((const struct name_entry *)a)->rva,
                  (const char *)sort_base + ((const struct name_entry *)b)->rva);
}

static int patch_exports(const char *dll, struct hook *hooks, int n) {
    HMODULE mod = LoadLibraryA(dll); /* kept loaded for the process's lifetime */
    if (mod == NULL) {
        return -1;
    }
    unsigned char *base = (unsigned char *)mod;
    IMAGE_NT_HEADERS *nt = (IMAGE_NT_HEADERS *)(base + ((IMAGE_DOS_HEADER *)base)->e_lfanew);
    IMAGE_DATA_DIRECTORY *dd = &nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_EXPORT];
    IMAGE_EXPORT_DIRECTORY *old = (IMAGE_EXPORT_DIRECTORY *)(base + dd->VirtualAddress);
    DWORD old_lo = dd->VirtualAddress, old_hi = dd->VirtualAddress + dd->Size;
    DWORD *ofuncs = (DWORD *)(base + old->AddressOfFunctions);
    DWORD *onames = (DWORD *)(base + old->AddressOfNames);
    WORD *oords = (WORD *)(base + old->AddressOfNameOrdinals);
    DWORD nf = old->NumberOfFunctions, nn = old->NumberOfNames;

    for (int h = 0; h < n; h++) {
        if (hooks[h].real != NULL) {
            *hooks[h].real = (void *)GetProcAddress(mod, hooks[h].name);
        }
    }
    /* layout: n jumps (16 bytes each), then the directory: header, functions, names, ordinals, strings */
    size_t strings = 0;
    for (DWORD f = 0; f < nf; f++) {
        if (ofuncs[f] >= old_lo && ofuncs[f] < old_hi) {
            strings += strlen((const char *)base + ofuncs[f]) + 1;
        }
    }
    for (int h = 0; h < n; h++) {
        strings += strlen(hooks[h].name) + 1;
    }
    strings += strlen((const char *)base + old->Name) + 1;
    size_t jumps = (size_t)n * 16;
    size_t dir_size = sizeof(IMAGE_EXPORT_DIRECTORY) + (nf + n) * 4 + (nn + n) * 4 + (nn + n) * 2 + strings;
    unsigned char *mem = alloc_above(base, nt->OptionalHeader.SizeOfImage, jumps + dir_size + 16);
    if (mem == NULL) {
        return -2;
    }
    unsigned char *dirp = mem + ((jumps + 15) & ~(size_t)15);
    IMAGE_EXPORT_DIRECTORY *dir = (IMAGE_EXPORT_DIRECTORY *)dirp;
    DWORD *funcs = (DWORD *)(dir + 1);
    DWORD *names = funcs + nf + n;
    struct name_entry *entries = calloc(nn + n, sizeof *entries);
    WORD *ords = (WORD *)(names + nn + n);
    char *str = (char *)(ords + nn + n);
    if (entries == NULL) {
        return -3;
    }
#define RVA(p) ((DWORD)((unsigned char *)(p) - base))
    *dir = *old;
    strcpy(str, (const char *)base + old->Name);
    dir->Name = RVA(str);
    str += strlen(str) + 1;
    for (DWORD f = 0; f < nf; f++) {
        funcs[f] = ofuncs[f];
        if (ofuncs[f] >= old_lo && ofuncs[f] < old_hi) { /* a forwarder: its string moves with the directory */
            strcpy(str, (const char *)base + ofuncs[f]);
            funcs[f] = RVA(str);
            str += strlen(str) + 1;
        }
    }
    for (DWORD i = 0; i < nn; i++) {
        entries[i].rva = onames[i];
        entries[i].ordinal = oords[i];
    }
    DWORD nnew = nn, nfnew = nf;
    for (int h = 0; h < n; h++) {
        unsigned char *jmp = mem + (size_t)h * 16;
        jmp[0] = 0xFF; /* jmp qword ptr [rip+0] */
        jmp[1] = 0x25;
        memset(jmp + 2, 0, 4);
        memcpy(jmp + 6, &hooks[h].fn, 8);
        DWORD slot = MAXDWORD;
        for (DWORD i = 0; i < nn; i++) {
            if (strcmp((const char *)base + onames[i], hooks[h].name) == 0) {
                slot = oords[i];
            }
        }
        if (slot == MAXDWORD) { /* a function Wine does not export: a new name and ordinal */
            slot = nfnew++;
            strcpy(str, hooks[h].name);
            entries[nnew].rva = RVA(str);
            entries[nnew].ordinal = (WORD)slot;
            nnew++;
            str += strlen(str) + 1;
        }
        funcs[slot] = RVA(jmp);
    }
    sort_base = base;
    qsort(entries, nnew, sizeof *entries, by_name);
    for (DWORD i = 0; i < nnew; i++) {
        names[i] = entries[i].rva;
        ords[i] = entries[i].ordinal;
    }
    free(entries);
    dir->NumberOfFunctions = nfnew;
    dir->NumberOfNames = nnew;
    dir->AddressOfFunctions = RVA(funcs);
    dir->AddressOfNames = RVA(names);
    dir->AddressOfNameOrdinals = RVA(ords);
    FlushInstructionCache(GetCurrentProcess(), mem, jumps);
    DWORD protect;
    if (!VirtualProtect(dd, sizeof *dd, PAGE_READWRITE, &protect)) {
        return -4;
    }
    dd->VirtualAddress = RVA(dir);
    dd->Size = (DWORD)((unsigned char *)str - dirp);
    VirtualProtect(dd, sizeof *dd, protect, &protect);
#undef RVA
    return 0;
}

static struct hook ws2_hooks[] = {
    {"bind", (void *)hook_bind, (void **)&real_bind},
    {"connect", (void *)hook_connect, (void **)&real_connect},
    {"closesocket", (void *)hook_closesocket, (void **)&real_closesocket},
    {"WSAIoctl", (void *)hook_WSAIoctl, (void **)&real_WSAIoctl},
};
static struct hook iphlpapi_hooks[] = {
    {"CreatePersistentTcpPortReservation", (void *)hook_CreatePersistentTcpPortReservation, NULL},
    {"LookupPersistentTcpPortReservation", (void *)hook_LookupPersistentTcpPortReservation, NULL},
    {"DeletePersistentTcpPortReservation", (void *)hook_DeletePersistentTcpPortReservation, NULL},
    {"CreatePersistentUdpPortReservation", (void *)hook_CreatePersistentUdpPortReservation, NULL},
    {"LookupPersistentUdpPortReservation", (void *)hook_LookupPersistentUdpPortReservation, NULL},
    {"DeletePersistentUdpPortReservation", (void *)hook_DeletePersistentUdpPortReservation, NULL},
};
static struct hook advapi32_hooks[] = {
    {"GetTokenInformation", (void *)hook_GetTokenInformation, (void **)&real_GetTokenInformation},
};

static int installed;

/* -agentpath:portres-winshim.dll  (options: "quiet" drops the start-up line) */
EXPORT int Agent_OnLoad(void *vm, char *options, void *reserved) {
    WSADATA wsa;
    (void)vm;
    (void)reserved;
    if (installed) {
        return 0;
    }
    WSAStartup(MAKEWORD(2, 2), &wsa);
    /* our own calls (the probe, try_bind) must reach Wine's functions: resolve them before the rewrite */
    int a = patch_exports("ws2_32.dll", ws2_hooks, sizeof ws2_hooks / sizeof *ws2_hooks);
    int b = patch_exports("iphlpapi.dll", iphlpapi_hooks, sizeof iphlpapi_hooks / sizeof *iphlpapi_hooks);
    int c = patch_exports("advapi32.dll", advapi32_hooks, sizeof advapi32_hooks / sizeof *advapi32_hooks);
    if (a != 0 || b != 0 || c != 0 || real_bind == NULL || real_closesocket == NULL || real_WSAIoctl == NULL) {
        fprintf(stderr, "portres-winshim: cannot rewrite the export tables (ws2_32 %d, iphlpapi %d, advapi32 %d)\n",
                a, b, c);
        return 1; /* the JVM refuses to start: a test bed that silently is not one would prove nothing */
    }
    installed = 1;
    if (options == NULL || strcmp(options, "quiet") != 0) {
        fprintf(stderr, "portres-winshim: %s, store %s\n", resv_version(),
                getenv("WINSIM_STORE") != NULL ? getenv("WINSIM_STORE") : "(default)");
        fflush(stderr);
    }
    return 0;
}
